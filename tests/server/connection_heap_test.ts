/**
 * @module What an idle, authenticated WebSocket client keeps alive in the gateway, counted in a
 * heap snapshot (objects, not bytes or time): a gateway holds it for each of possibly thousands
 * of clients, so nothing that is needed only while connecting or while a request runs may
 * outlive that. `scripts/bench/connection_heap.ts` measures the bytes against a bare Deno server.
 */

import { writeHeapSnapshot } from "node:v8";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";

const root = new URL("../../", import.meta.url).pathname;
const CLIENTS = 100;

/** Objects of each constructor, and edges of each name, in a snapshot of this process's heap. */
async function heapCounts(dir: string) {
  const file = writeHeapSnapshot(`${dir}/${crypto.randomUUID()}.heapsnapshot`);
  const snapshot = JSON.parse(await Deno.readTextFile(file));
  await Deno.remove(file);
  const { node_fields, edge_fields, node_types, edge_types } = snapshot.snapshot.meta;
  const nodes: number[] = snapshot.nodes;
  const edges: number[] = snapshot.edges;
  const strings: string[] = snapshot.strings;
  const [nType, nName, nEdges] = ["type", "name", "edge_count"].map((f) => node_fields.indexOf(f));
  const [eType, eName, eTo] = ["type", "name_or_index", "to_node"].map((f) =>
    edge_fields.indexOf(f)
  );
  const objects = new Map<string, number>();
  const edgesByName = new Map<string, number>();
  const name = (node: number) => {
    const type = node_types[0][nodes[node + nType]];
    return type === "object" || type === "closure" ? strings[nodes[node + nName]] : `(${type})`;
  };
  let edge = 0;
  for (let node = 0; node < nodes.length; node += node_fields.length) {
    const from = name(node);
    objects.set(from, (objects.get(from) ?? 0) + 1);
    for (let i = 0; i < nodes[node + nEdges]; i++, edge += edge_fields.length) {
      if (edge_types[0][edges[edge + eType]] !== "property") continue;
      const key = `${from}.${strings[edges[edge + eName]]} -> ${name(edges[edge + eTo])}`;
      edgesByName.set(key, (edgesByName.get(key) ?? 0) + 1);
    }
  }
  return { objects, edges: edgesByName };
}

/** Polls until the gateway counts `count` connected clients (it has seen every close). */
async function untilClients(
  gateway: { gateway: { runtime: { clients(): unknown[] } } },
  count: number,
) {
  for (let tries = 0; gateway.gateway.runtime.clients().length !== count; tries++) {
    assert(
      tries < 600,
      `the gateway still counts ${gateway.gateway.runtime.clients().length} clients`,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `count` clients connected and authenticated from a process of their own, held until closed. */
async function idleClients(url: string, count: number) {
  const child = new Deno.Command(`${root}node_modules/.bin/deno`, {
    args: [
      "run",
      "-A",
      "--no-lock",
      "--quiet",
      `${root}scripts/bench/idle_clients.ts`,
      url,
      String(count),
      JSON.stringify({ minProtocol: 3, maxProtocol: 3, auth: { token: TEST_TOKEN } }),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    said += value;
  }
  await reader.cancel();
  return {
    connected: Number(said.match(/connected (\d+)/)?.[1]),
    async close() {
      await child.stdin.close();
      await child.status;
    },
  };
}

Deno.test("an idle authenticated connection keeps no timer, request header copy, in-flight set, Date or per-socket handler wrapper, and nothing once closed", async () => {
  await using gateway = await startTestGateway();
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-conn-heap-" });
  // A first batch loads and warms what any connection needs, so the counts below are the
  // clients' own. It stays connected through every snapshot: closed sockets are freed only
  // when Deno's ping timer fires (see core/protocol/transport.ts), so closing it here would
  // leave the snapshots depending on how long the steps between them took.
  const warm = await idleClients(gateway.url, 10);
  try {
    assertEquals(warm.connected, 10);
    await untilClients(gateway, 10);
    const before = await heapCounts(dir);
    const clients = await idleClients(gateway.url, CLIENTS);
    try {
      assertEquals(clients.connected, CLIENTS);
      const after = await heapCounts(dir);
      const perClient = (counts: Map<string, number>, key: string) =>
        ((after[counts === before.objects ? "objects" : "edges"].get(key) ?? 0) -
          (counts.get(key) ?? 0)) / CLIENTS;
      // The counting sees the connections themselves (one per client).
      assertEquals(perClient(before.objects, "Connection"), 1);
      const held = {
        // The cleared `connect` deadline's timer object, with its callback and arguments.
        timers: perClient(before.objects, "Timeout"),
        // `headers.has` made Deno copy every header of the upgrade request into arrays, which
        // the request (kept by Deno for the socket's life) then held.
        headerCopies: perClient(before.edges, "Headers.<symbol header list> -> Array"),
        // The set of requests in flight, made with the first request rather than at connect.
        inflightSets: perClient(before.edges, "Connection.#inflight -> Set"),
        dates: perClient(before.objects, "Date"),
        // Deno's wrapper of each `onmessage`/`onclose` handler assigned to a socket.
        handlerWrappers: perClient(before.objects, "wrappedHandler"),
      };
      for (const [what, count] of Object.entries(held)) {
        assert(count < 0.5, `each idle connection holds ${count} ${what}: ${JSON.stringify(held)}`);
      }
    } finally {
      await clients.close();
    }
    // Once the gateway has seen them close, nothing of theirs is left: Deno keeps each closed
    // socket for a while (its ping timer), and the socket's listeners held the whole connection.
    await untilClients(gateway, 10);
    const closed = await heapCounts(dir);
    const left = ((closed.objects.get("Connection") ?? 0) -
      (before.objects.get("Connection") ?? 0)) / CLIENTS;
    assert(left < 0.5, `each closed connection left ${left} Connection objects`);
  } finally {
    await warm.close();
    await Deno.remove(dir, { recursive: true });
  }
});
