/**
 * @module A certificate for https stand-ins on 127.0.0.1, and the test CA that signed it: a
 * client started with `DENO_CERT` set to {@linkcode TLS.caFile} trusts it as fetch trusts a
 * real upstream, with its certificate checks on. Made once with openssl (a P-256 CA and a leaf
 * for IP 127.0.0.1 and localhost, valid to 2126); the CA's own key was thrown away, so nothing
 * else can be signed with it. The leaf's key is here on purpose: it guards nothing.
 */

const dir = new URL("./tls/", import.meta.url);

/** The stand-in's certificate and key (PEM), and the CA file to trust it by. */
export const TLS = {
  cert: Deno.readTextFileSync(new URL("cert.pem", dir)),
  key: Deno.readTextFileSync(new URL("key.pem", dir)),
  caFile: new URL("ca.pem", dir).pathname,
};
