/**
 * @module Redirects of plain-http providers (agent/providers/_http1_redirect.ts) that lead to
 * https: fetch serves those hops, and all of them, kept-connection and fetch alike, count
 * against the one budget of 20 that fetch alone would have. The https stand-in has a real
 * certificate (tests/_helpers/tls.ts) that the client, a child process, trusts by `DENO_CERT`.
 */

import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { TLS } from "../../_helpers/tls.ts";

const quiet = { hostname: "127.0.0.1", port: 0, onListen: () => {} };

/** Asks `url` as a provider does, in a process that trusts the test CA; what it printed. */
async function fetchInChild(url: string): Promise<string> {
  const module = new URL("../../../agent/providers/_http.ts", import.meta.url).href;
  const script = `
    const { upstreamFetch, readJson } = await import(${JSON.stringify(module)});
    try {
      const call = await upstreamFetch({ provider: "p", headers: [], timeoutMs: 10000,
        url: ${JSON.stringify(url)}, body: {} });
      console.log(JSON.stringify(await readJson(call)));
    } catch (error) {
      console.log(error.message);
    }`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-lock", script],
    env: { DENO_CERT: TLS.caFile },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trim();
}

Deno.test("redirects over kept connections and then fetch count against one budget of 20", async () => {
  const hops: string[] = [];
  // https: /s/N redirects N more times over https, then answers.
  await using secure = Deno.serve({ ...quiet, cert: TLS.cert, key: TLS.key }, (request) => {
    const { pathname } = new URL(request.url);
    hops.push(`https ${pathname}`);
    const left = Number(pathname.split("/")[2]);
    return left > 0
      ? new Response(null, { status: 307, headers: { location: `/s/${left - 1}` } })
      : Response.json({ ok: true });
  });
  // http: /h/A/B redirects A more times over http, then to https's /s/B.
  await using plain = Deno.serve(quiet, (request) => {
    const { pathname } = new URL(request.url);
    hops.push(`http ${pathname}`);
    const [, , a, b] = pathname.split("/").map(Number);
    const location = a > 0 ? `/h/${a - 1}/${b}` : `https://127.0.0.1:${secure.addr.port}/s/${b}`;
    return new Response(null, { status: 307, headers: { location } });
  });
  const start = (a: number, b: number) => `http://127.0.0.1:${plain.addr.port}/h/${a}/${b}`;

  // 9 over http, 1 to https, 10 over https: 20, as many as fetch follows.
  assertEquals(await fetchInChild(start(9, 10)), '{"ok":true}');
  assertEquals(hops.filter((hop) => hop.startsWith("http ")).length, 10);
  assertEquals(hops.filter((hop) => hop.startsWith("https ")).length, 11);

  // One more over https: 21 in all. fetch, left to follow on its own, counted only its 11.
  hops.length = 0;
  assertMatch(await fetchInChild(start(9, 11)), /More than 20 redirects/);
  assertEquals(hops.length, 21); // the 21st redirect's target is never asked
});
