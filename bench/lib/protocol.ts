import type { HistogramData } from './histogram.js';

/** One socket a socket worker opens: where, with which token, subscribed to which bench room. */
export interface ClientSpec {
  url: string;
  token?: string;
  /** The bench room the client sends to and receives from (the relay joins it from the handshake). */
  room: string;
  /** XMPP worker only: the account to log in with; `room` is then the MUC room's bare JID. */
  xmpp?: { domain: string; username: string; password: string };
}

export type ToSocketWorker =
  | { type: 'connect'; clients: ClientSpec[]; concurrency: number; timeoutMs: number }
  | {
      type: 'step';
      id: number;
      rate: number;
      durationMs: number;
      ackTimeoutMs: number;
      clientId: boolean;
    }
  | { type: 'count'; id: number }
  | { type: 'collect'; id: number }
  | { type: 'abort' }
  | { type: 'close' };

export interface ConnectedReport {
  type: 'connected';
  connected: number;
  failed: number;
  errors: Record<string, number>;
  connectHist: HistogramData;
  /** Connected sockets per bench room. */
  roomMembers: Record<string, number>;
}

export interface StepReport {
  type: 'stepDone';
  id: number;
  sent: number;
  acked: number;
  failed: number;
  errors: Record<string, number>;
  ackedByRoom: Record<string, number>;
  ackHist: HistogramData;
  sendMs: number;
}

export interface CollectReport {
  type: 'collected';
  id: number;
  received: number;
  /** Deliveries of earlier steps that arrived after those steps were collected. */
  late: number;
  disconnects: number;
  hist: HistogramData;
}

export type FromSocketWorker =
  | { type: 'progress'; connected: number; failed: number }
  | ConnectedReport
  | StepReport
  | { type: 'count'; id: number; received: number }
  | CollectReport
  | { type: 'closed' };

export const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
  return into;
};
