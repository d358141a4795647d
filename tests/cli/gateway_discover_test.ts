import { join } from "node:path";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { PYCLAW } from "../_helpers/cli.ts";

interface Found {
  gateways: { url: string; source: string; name?: string }[];
  mdns: boolean;
}

Deno.test("pyclaw gateway discover --json finds a gateway named with --host", async () => {
  await using gw = await startTestGateway();
  const state = await Deno.makeTempDir({ prefix: "pyclaw-discover-" });
  try {
    const output = await new Deno.Command(PYCLAW, {
      args: [
        "gateway",
        "discover",
        "--json",
        "--timeout",
        // Only the time a probe may take; the named gateway answers at once, and the closed
        // ports of the default range refuse at once, so this bounds a failure.
        "15000",
        "--host",
        `127.0.0.1:${gw.gateway.port}`,
      ],
      env: { PYCLAW_STATE_DIR: state, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    const result = JSON.parse(new TextDecoder().decode(output.stdout)) as Found;
    assertEquals(result.mdns, false, "mDNS is off by default");
    assert(result.gateways.some((g) => g.url === `ws://127.0.0.1:${gw.gateway.port}`));
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

// mDNS end to end, inside a network namespace of our own whose only interface is loopback, so
// not one multicast packet leaves this process tree. Skipped where namespaces are unavailable.
const canIsolate = await new Deno.Command("unshare", { args: ["-rn", "true"], stderr: "null" })
  .output().then((o) => o.success).catch(() => false);

Deno.test({
  name: "gateway run announces itself over mDNS and gateway discover finds it (isolated netns)",
  ignore: !canIsolate,
  fn: async () => {
    const state = await Deno.makeTempDir({ prefix: "pyclaw-mdns-" });
    try {
      await Deno.writeTextFile(
        join(state, "pyclaw.json"),
        JSON.stringify({
          gateway: { port: 28789, discovery: { mdns: true }, http: { port: false } },
          logging: { consoleLevel: "silent" },
        }),
      );
      const logFile = join(state, "logs", "pyclaw.log");
      const script = [
        "ip link set lo up",
        "ip route add 224.0.0.0/4 dev lo",
        `"${PYCLAW}" gateway run >/dev/null & pid=$!`,
        // Announced, not only listening: /health answers while the gateway still loads (issue
        // 17), the announcement starts after the ready line, and bonjour probes for the name
        // for about a second before it answers queries (a discover in that second, on a busy
        // machine, could end before the gateway ever answered).
        `for i in $(seq 300); do grep -qs "the gateway is announced over mDNS" "${logFile}" && break; sleep 0.2; done`,
        `grep -qs "the gateway is announced over mDNS" "${logFile}" || { echo "never announced" >&2; kill $pid; exit 3; }`,
        `"${PYCLAW}" gateway discover --json --timeout 2000 --mdns`,
        "status=$?",
        "kill $pid; wait $pid",
        "exit $status",
      ].join("\n");
      const output = await new Deno.Command("unshare", {
        args: ["-rn", "sh", "-c", script],
        env: { PYCLAW_STATE_DIR: state, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(output.stdout);
      assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
      const result = JSON.parse(stdout) as Found;
      const viaMdns = result.gateways.find((g) => g.name?.startsWith("pyclaw on "));
      assert(viaMdns, `the mDNS announcement was seen: ${stdout}`);
      assert(viaMdns.url.endsWith(":28789"));
    } finally {
      await Deno.remove(state, { recursive: true });
    }
  },
});
