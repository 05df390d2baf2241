import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';

/** The wildcard hosts: bound on these, the service answers on every interface of the machine. */
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

/**
 * How `botlens serve` names the address it bound: the URL of the bound address, IPv6 in brackets
 * (`http://[::1]:8080`), and for a wildcard host (`0.0.0.0`, `::`) the words `(all interfaces)`, so a public
 * bind never reads as loopback-only (fastify's own URL for `0.0.0.0` is `http://127.0.0.1:PORT`).
 *
 * @param bound - what the listening socket's `address()` returned
 * @param fallback - the URL to print when the socket gives no address (a pipe)
 */
export function boundAddressText(bound: AddressInfo | string | null, fallback: string): string {
  if (bound === null || typeof bound === 'string') return fallback;
  const host = isIPv6(bound.address) ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}`;
  return WILDCARD_HOSTS.has(bound.address) ? `${url} (all interfaces)` : url;
}
