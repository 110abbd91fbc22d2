// Minimal types for the parts of @xmpp/client the ejabberd bench uses (the package ships none).
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  /** An XML element (ltx): a parsed stanza, or one built with `xml()`. */
  export interface Element {
    name: string;
    attrs: Record<string, string | undefined>;
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    /** The child elements, without text nodes. */
    getChildElements(): Element[];
    toString(): string;
  }

  export interface Jid {
    toString(): string;
  }

  export interface Options {
    /** `xmpp://host:port` (plain TCP), `xmpps://`, `ws://` or `wss://`. */
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
    /** Called to authenticate, instead of `username` and `password`: picks the SASL mechanism. */
    credentials?: (
      authenticate: (
        credentials: { username: string; password: string },
        mechanism: string,
      ) => Promise<void>,
      mechanisms: string[],
    ) => Promise<void>;
    /** Milliseconds to wait for the connection and each step of the stream negotiation. */
    timeout?: number;
  }

  export interface XmppClient extends EventEmitter {
    status: string;
    reconnect: { stop(): void };
    /** Connects, authenticates and binds a resource; resolves with the bound JID. */
    start(): Promise<Jid>;
    stop(): Promise<void>;
    send(element: Element): Promise<void>;
  }

  export function client(options: Options): XmppClient;
  export function xml(
    name: string,
    attrs?: Record<string, string> | null,
    ...children: (Element | string)[]
  ): Element;
}
