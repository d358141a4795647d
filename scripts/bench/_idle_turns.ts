/**
 * @module The "turn with 1,000 idle clients vs none" row of `bench:quick`: two gateways of the
 * same tree, started alike and given the same turns, their turns interleaved one by one while
 * one of them holds the idle clients; then the clients move to the other one and it runs again.
 *
 * Why this shape (measured on the shared 2-core machine, issue 17): one gateway timed alone,
 * then with the clients, then alone again, seconds apart, put the load other processes made in
 * those seconds on one side only, and its first alone phase still carried the JIT's warm-up; the
 * row moved 0.78-1.26x from run to run on one tree. Interleaving turn by turn puts the machine's
 * load on both sides alike. Two gateways of one tree with no clients at all also differ, by up to
 * 9% in CPU per turn from process to process (heap and allocator state), so the clients are held
 * by each gateway in turn and each side pools one phase of each. As before, one alone phase is a
 * gateway that never had clients and the other one whose clients have just left.
 */

import { cpuMs, holdIdleClients, median, sleep, wsSession } from "./_common.ts";

/** A started gateway the row can drive. */
export interface RowGateway {
  port: number;
  /** The gateway process (its CPU is read from /proc). */
  pid: number;
}

/** Options for {@linkcode idleClientsRow}. */
export interface IdleRowOptions {
  clients: number;
  /** Turns per side per phase. */
  turns: number;
  /** The params of `connect`, for the measuring client and the idle ones. */
  connect: unknown;
  /** Called with a line of progress. */
  progress(text: string): void;
}

/** The row's result: pooled medians and CPU per turn, crowded and alone. */
export interface IdleRowResult {
  connected: number;
  crowdedTurn: number;
  aloneTurn: number;
  crowdedCpu: number;
  aloneCpu: number;
}

/** Warm-up turns on each gateway before anything is timed: the JIT settles on the turn path. */
const WARM_TURNS = 300;

/**
 * Runs the row on `first` and `second` (two gateways of the same tree and config, each with its
 * own state dir).
 *
 * @throws {Error} when a turn fails or fewer clients than asked could connect
 */
export async function idleClientsRow(
  first: RowGateway,
  second: RowGateway,
  options: IdleRowOptions,
): Promise<IdleRowResult> {
  const sides = await Promise.all([first, second].map((g) => driver(g, options.connect)));
  const [a, b] = sides;
  const hold = async (on: typeof a) => {
    const clients = await holdIdleClients(
      `ws://127.0.0.1:${on.port}`,
      options.clients,
      options.connect,
    );
    if (clients.connected !== options.clients) {
      await clients.close();
      throw new Error(`Only ${clients.connected} of ${options.clients} idle clients connected`);
    }
    return clients;
  };
  options.progress("gateways: warm-up turns");
  for (let i = 0; i < WARM_TURNS; i++) await pair(i, a, b);
  const crowded = { turns: [] as number[], cpu: 0 };
  const alone = { turns: [] as number[], cpu: 0 };
  for (const [crowd, quiet] of [[a, b], [b, a]]) {
    options.progress(
      `gateways: ${options.clients} idle clients on the ${crowd === a ? "first" : "second"}`,
    );
    const held = await hold(crowd);
    // What follows a quiet moment or a burst of connects (the presence event, coalesced to one a
    // second; the memory index's sync after 1.5 s without turns) lands before either side counts.
    await sleep(2_500);
    for (let i = 0; i < 10; i++) await pair(i, crowd, quiet);
    const cpuBefore = [cpuMs(crowd.pid), cpuMs(quiet.pid)];
    const phase = { crowded: [] as number[], alone: [] as number[] };
    for (let i = 0; i < options.turns; i++) {
      const [x, y] = await pair(i, crowd, quiet);
      phase.crowded.push(x);
      phase.alone.push(y);
    }
    const cpu = [cpuMs(crowd.pid) - cpuBefore[0], cpuMs(quiet.pid) - cpuBefore[1]];
    await held.close();
    crowded.turns.push(...phase.crowded);
    alone.turns.push(...phase.alone);
    crowded.cpu += cpu[0];
    alone.cpu += cpu[1];
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    options.progress(
      `  crowded ${ms(median(phase.crowded))}, ${ms(cpu[0] / options.turns)} CPU a turn; ` +
        `alone ${ms(median(phase.alone))}, ${ms(cpu[1] / options.turns)} CPU a turn`,
    );
  }
  for (const side of sides) side.socket.close();
  const timed = 2 * options.turns;
  return {
    connected: options.clients,
    crowdedTurn: median(crowded.turns),
    aloneTurn: median(alone.turns),
    crowdedCpu: crowded.cpu / timed,
    aloneCpu: alone.cpu / timed,
  };
}

/** A measuring client of one gateway. */
async function driver(gateway: RowGateway, connect: unknown) {
  const { socket, call } = await wsSession(`ws://127.0.0.1:${gateway.port}`, connect);
  let turnNo = 0;
  return {
    ...gateway,
    socket,
    /** One `chat.send`, in ms; the same five sessions on both gateways, so they grow alike. */
    async turn(): Promise<number> {
      const started = performance.now();
      const reply = await call("chat.send", {
        message: "Say something",
        sessionId: `idle-row-${turnNo++ % 5}`,
      });
      if (!reply.ok) throw new Error(`chat.send failed: ${JSON.stringify(reply.error)}`);
      return performance.now() - started;
    },
  };
}

/** One turn on each, in alternating order so neither always follows the other. */
async function pair(
  i: number,
  x: { turn(): Promise<number> },
  y: { turn(): Promise<number> },
): Promise<[number, number]> {
  if (i % 2) {
    const tx = await x.turn();
    return [tx, await y.turn()];
  }
  const ty = await y.turn();
  return [await x.turn(), ty];
}
