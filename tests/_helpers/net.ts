/** @module Network helpers for tests. */

/**
 * Where ports the kernel hands out begin (Linux `ip_local_port_range`; 32768 by default, and
 * elsewhere too, so that is the answer where the file cannot be read).
 */
function ephemeralStart(): number {
  try {
    const [low] = Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range").trim()
      .split(/\s+/).map(Number);
    return Number.isInteger(low) ? low : 32768;
  } catch {
    return 32768;
  }
}

/**
 * Ports already handed out in this process: a child may not have bound one yet (or has let it
 * go again), so a second call could find it free and hand it out twice.
 */
const handedOut = new Set<number>();

/** Below the ephemeral range and above the ports gateways use by default (18789–18799). */
const FIRST = 20_000;

/**
 * A loopback port nobody listens on right now, for a child process to bind a moment later. It
 * lies below the kernel's ephemeral range: a port from `bind(0)` would be free again once
 * checked, and then any connect() (a health poll's, say) or other `bind(0)` could take it before
 * the child binds it, which is how a port picked early fails a test on a busy machine.
 */
export function freePort(): number {
  const end = ephemeralStart();
  for (let attempt = 0; end > FIRST + 1000 && attempt < 100; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (end - FIRST));
    try {
      if (handedOut.has(port)) continue;
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      handedOut.add(port);
      return port;
    } catch {
      // in use: another one
    }
  }
  // An ephemeral range that starts too low to leave room below it: the kernel's choice.
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}
