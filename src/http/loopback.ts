const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/**
 * True when the TCP peer is this machine. Judge `req.socket.remoteAddress`, never `req.ip`: behind a
 * proxy `req.ip` comes from X-Forwarded-For, whose left part the client writes.
 */
export function isLoopback(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}
