/**
 * @module The config's check of `gateway.trustedProxies` entries, written without proxy-addr (a
 * CommonJS library kept off the start-up path), agrees with what proxy-addr compiles.
 */

import proxyaddr from "proxy-addr";
import { assertEquals } from "../_helpers/assert.ts";
import { isProxySpec } from "../../core/config/schema.ts";

const compiles = (spec: string) => {
  try {
    proxyaddr.compile(spec);
    return true;
  } catch {
    return false;
  }
};

Deno.test("isProxySpec accepts and refuses what proxy-addr does", () => {
  const specs = [
    "loopback",
    "linklocal",
    "uniquelocal",
    "127.0.0.1",
    "127.0.0.1/8",
    "0.0.0.0",
    "10.0.0.0/255.0.0.0",
    "1.2.3.4/255.255.255.255",
    "10.0.0.0/255.0.255.0",
    "10.0.0.0/0.0.0.0",
    "::1",
    "::1/128",
    "fe80::/10",
    "2001:db8::1/64",
    "::ffff:127.0.0.1",
    "::ffff:127.0.0.1/104",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "1.2.3.4/33",
    "1.2.3.4/0",
    "1.2.3.4/",
    "::/129",
    "::1/ff",
    "2001:db8:::1",
    "proxy.example",
    "foo/8",
    "",
  ];
  for (const spec of specs) assertEquals([spec, isProxySpec(spec)], [spec, compiles(spec)]);
});

Deno.test("isProxySpec is stricter than proxy-addr only for ambiguous forms", () => {
  // A leading zero (octal to some parsers) and an IPv6 zone name a host too loosely for trust.
  assertEquals(isProxySpec("01.2.3.4"), false);
  assertEquals(isProxySpec("fe80::1%eth0"), false);
});
