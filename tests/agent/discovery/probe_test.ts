import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startTestGateway } from "../../_helpers/gateway.ts";
import { Logger } from "../../../core/logger.ts";
import { openFront } from "../../../server/front.ts";
import {
  DEFAULT_PORTS,
  discoveryCandidates,
  parseHost,
  probeCandidates,
} from "../../../agent/discovery/probe.ts";

Deno.test("discoveryCandidates probes loopback only unless hosts are named", () => {
  const candidates = discoveryCandidates(20000);
  assert(candidates.every((c) => c.host === "127.0.0.1"));
  assertEquals(candidates.map((c) => c.port), [20000, ...DEFAULT_PORTS]);
  assertEquals(discoveryCandidates(18789).length, DEFAULT_PORTS.length, "no duplicate port");
  const named = discoveryCandidates(18789, ["127.0.0.2:4000", "[::1]:4001"]);
  assertEquals(named.slice(-2), [{ host: "127.0.0.2", port: 4000 }, { host: "::1", port: 4001 }]);
});

Deno.test("parseHost reads host, host:port and bracketed IPv6", () => {
  assertEquals(parseHost("localhost"), { host: "localhost" });
  assertEquals(parseHost("localhost:9000"), { host: "localhost", port: 9000 });
  assertEquals(parseHost("[::1]:9000"), { host: "::1", port: 9000 });
  assertEquals(parseHost("::1"), { host: "::1" });
  assertEquals(parseHost("host:99999"), { host: "host" });
});

Deno.test("probeCandidates finds a gateway and ignores other servers and closed ports", async () => {
  await using gw = await startTestGateway();
  await using other = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ status: "ok" }), // no uptime: not a pyclaw gateway
  );
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = closed.addr.port;
  closed.close();
  const found = await probeCandidates([
    { host: "127.0.0.1", port: gw.gateway.port },
    { host: "127.0.0.1", port: other.addr.port },
    { host: "127.0.0.1", port: closedPort },
  ], 1_500);
  assertEquals(found.map((g) => g.url), [`ws://127.0.0.1:${gw.gateway.port}`]);
  assertEquals(found[0].source, "probe");
  assert(typeof found[0].uptimeMs === "number");
});

Deno.test("probeCandidates finds a gateway that is still loading behind its listeners", async () => {
  const front = await openFront({
    hostname: "127.0.0.1",
    port: 0,
    httpPort: false,
    logger: new Logger({ consoleLevel: "silent" }),
  });
  try {
    const found = await probeCandidates([{ host: "127.0.0.1", port: front.listeners.port }], 1_500);
    assertEquals(found.map((g) => g.url), [`ws://127.0.0.1:${front.listeners.port}`]);
  } finally {
    front.fail();
    await front.listeners.shutdown(1_000);
  }
});
