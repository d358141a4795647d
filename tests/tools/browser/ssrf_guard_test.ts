import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import {
  classifyAddress,
  hostAllowed,
  ipVersion,
  SsrfGuard,
  type SsrfPolicy,
} from "../../../tools/browser/ssrf_guard.ts";

const DNS: Record<string, string[]> = {
  "public.example": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
  "intranet.example": ["10.0.0.5"],
  "mixed.example": ["93.184.216.34", "192.168.1.10"],
  "mapped.example": ["::ffff:127.0.0.1"],
};

function guardWith(policy: Partial<SsrfPolicy> = {}) {
  const lookups: string[] = [];
  const guard = new SsrfGuard(
    () => ({ allowPrivateNetwork: false, allowedHosts: [], ...policy }),
    (host) => {
      lookups.push(host);
      const found = DNS[host];
      return found ? Promise.resolve(found) : Promise.reject(new Error(`ENOTFOUND ${host}`));
    },
  );
  return { guard, lookups };
}

Deno.test("classifyAddress names internal IPv4 and IPv6 ranges", () => {
  const cases: [string, string | undefined][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.9.8.7", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["172.32.0.1", undefined],
    ["192.168.0.1", "private"],
    ["169.254.169.254", "link-local"],
    ["100.64.0.1", "shared (CGNAT)"],
    ["0.0.0.0", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["8.8.8.8", undefined],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fe80::1", "link-local"],
    ["fd12:3456::1", "private (unique local)"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:7f00:1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["2002:c0a8:0101::1", "private"],
    ["2606:4700:4700::1111", undefined],
  ];
  for (const [ip, kind] of cases) assertEquals(classifyAddress(ip), kind, ip);
});

Deno.test("ipVersion tells address literals from host names", () => {
  assertEquals(ipVersion("127.0.0.1"), 4);
  assertEquals(ipVersion("255.255.255.255"), 4);
  assertEquals(ipVersion("256.1.1.1"), 0);
  assertEquals(ipVersion("1.2.3"), 0);
  assertEquals(ipVersion("::1"), 6);
  assertEquals(ipVersion("fe80::1%eth0"), 6);
  assertEquals(ipVersion("::ffff:10.0.0.1"), 6);
  assertEquals(ipVersion("example.com"), 0);
  assertEquals(ipVersion("dead:beef"), 0);
});

Deno.test("hostAllowed matches exact names and *. patterns", () => {
  assert(hostAllowed("intranet.example", ["intranet.example"]));
  assert(hostAllowed("a.b.corp.example", ["*.corp.example"]));
  assert(!hostAllowed("corp.example", ["*.corp.example"]));
  assert(!hostAllowed("evilcorp.example", ["*.corp.example"]));
  assert(hostAllowed("Intranet.Example.", ["intranet.example"]));
});

Deno.test("SsrfGuard refuses non-http schemes and internal hosts, allows public ones", async () => {
  const { guard } = guardWith();
  const refused: [string, RegExp][] = [
    ["file:///etc/passwd", /Only http and https.*file:/],
    ["data:text/html,hi", /data:/],
    ["javascript:alert(1)", /javascript:/],
    ["chrome://settings", /chrome:/],
    ["http://127.0.0.1:8080/", /loopback/],
    ["http://localhost/", /loopback host/],
    ["http://app.localhost/", /loopback host/],
    ["http://[::1]/", /loopback/],
    ["http://0x7f.1/", /loopback/],
    ["http://2130706433/", /loopback/],
    ["http://169.254.169.254/latest/meta-data/", /link-local/],
    ["http://intranet.example/", /private address \(10\.0\.0\.5\)/],
    ["http://mixed.example/", /192\.168\.1\.10/],
    ["http://mapped.example/", /loopback/],
    ["http://nowhere.example/", /Could not resolve/],
    ["nonsense", /Not a valid URL/],
  ];
  for (const [url, reason] of refused) {
    const verdict = await guard.check(url);
    assert(!verdict.allowed, url);
    assertMatch((verdict as { reason: string }).reason, reason);
  }
  assertEquals(await guard.check("https://public.example/path?q=1"), { allowed: true });
  assertEquals(await guard.check("about:blank"), { allowed: true });
});

Deno.test("SsrfGuard refusals name neither the URL nor its host, which may be a page's words", async () => {
  const { guard } = guardWith();
  for (
    const url of [
      "http://localhost/SYSTEM-call-exec",
      "http://system-call-exec.localhost/",
      "http://system-call-exec.example/",
      "http://intranet.example/SYSTEM-call-exec",
      "system-call-exec:now",
      "http://[SYSTEM call exec",
    ]
  ) {
    const verdict = await guard.check(url);
    assert(!verdict.allowed, url);
    assert(!/system|exec|example/i.test(verdict.reason), verdict.reason);
  }
  const scheme = await guard.check("system-call-exec:now");
  assertMatch((scheme as { reason: string }).reason, /not another scheme$/);
});

Deno.test("SsrfGuard honours allowPrivateNetwork and allowedHosts, and caches lookups", async () => {
  const open = guardWith({ allowPrivateNetwork: true });
  assertEquals(await open.guard.check("http://10.0.0.1/"), { allowed: true });
  assert(!(await open.guard.check("file:///etc/hosts")).allowed, "file: stays blocked");

  const listed = guardWith({ allowedHosts: ["intranet.example", "127.0.0.1"] });
  assertEquals(await listed.guard.check("http://intranet.example/"), { allowed: true });
  assertEquals(await listed.guard.check("http://127.0.0.1:3000/"), { allowed: true });
  assert(!(await listed.guard.check("http://localhost:3000/")).allowed, "only the listed name");

  const cached = guardWith();
  await cached.guard.check("https://public.example/a");
  await cached.guard.check("https://public.example/b");
  assertEquals(cached.lookups, ["public.example"]);
});
