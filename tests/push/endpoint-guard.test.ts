import { describe, expect, it } from 'vitest';
import {
  endpointProblem,
  guardedLookup,
  isPublicAddress,
} from '../../src/modules/push/endpoint-guard.js';

// The SSRF guard's address check, by unit tests only: the code never connects to these addresses.

describe('isPublicAddress', () => {
  it.each([
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.254',
    '192.168.1.1',
    '127.0.0.1',
    '127.255.0.1',
    '0.0.0.0',
    '169.254.169.254', // cloud metadata
    '100.64.0.1',
    '192.0.2.10',
    '198.18.0.1',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.1.2.3',
    '2001:db8::1',
    '64:ff9b::a00:1',
    'not an address',
    '',
  ])('%s is not public', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1', // just outside 172.16/12
    '192.169.0.1',
    '100.128.0.1', // just outside 100.64/10
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.4.4',
  ])('%s is public', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });
});

describe('endpointProblem', () => {
  it('wants https on a public host, no credentials', () => {
    expect(endpointProblem('https://fcm.googleapis.com/fcm/send/abc', false)).toBeUndefined();
    expect(endpointProblem('https://8.8.8.8/push', false)).toBeUndefined();
    expect(endpointProblem('http://fcm.googleapis.com/x', false)).toBe('must be an https: URL');
    expect(endpointProblem('https://127.0.0.1/x', false)).toBe('must be on a public address');
    expect(endpointProblem('https://[::1]/x', false)).toBe('must be on a public address');
    expect(endpointProblem('https://169.254.169.254/latest', false)).toBe(
      'must be on a public address',
    );
    expect(endpointProblem('https://localhost/x', false)).toBe('must be on a public address');
    expect(endpointProblem('https://intranet/x', false)).toBe('must be on a public address');
    expect(endpointProblem('https://u:p@push.example.com/x', false)).toBe(
      'must not carry credentials',
    );
    expect(endpointProblem('ftp://push.example.com/x', false)).toBe('must be an https: URL');
    expect(endpointProblem('not a url', false)).toBe('must be a URL');
  });

  it('PUSH_ALLOW_PRIVATE_ENDPOINTS lets http and private addresses through', () => {
    expect(endpointProblem('http://127.0.0.1:9999/push', true)).toBeUndefined();
    expect(endpointProblem('https://localhost/x', true)).toBeUndefined();
    expect(endpointProblem('ftp://127.0.0.1/x', true)).toBe('must be an https: URL');
  });
});

describe('guardedLookup', () => {
  it('refuses a name that resolves to a private address, at connection time', async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      guardedLookup(false)('localhost', {}, (e) => resolve(e)),
    );
    expect(err?.code).toBe('ENOTPUBLIC');
  });

  it('lets it through when private endpoints are allowed', async () => {
    const address = await new Promise<string>((resolve, reject) =>
      guardedLookup(true)('localhost', {}, (e, a) => (e ? reject(e) : resolve(a as string))),
    );
    expect(isPublicAddress(address)).toBe(false);
  });
});
