import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { ServiceList } from "../../core/lifecycle.ts";

function recorder() {
  const log: string[] = [];
  const service = (name: string, options: { failStart?: boolean; failStop?: boolean } = {}) => ({
    name,
    start: async () => {
      await Promise.resolve();
      if (options.failStart) throw new Error(`${name} would not start`);
      log.push(`start ${name}`);
    },
    stop: async () => {
      await Promise.resolve();
      log.push(`stop ${name}`);
      if (options.failStop) throw new Error(`${name} would not stop`);
    },
  });
  return { log, service };
}

Deno.test("ServiceList starts in order and stops in reverse, each awaited", async () => {
  const { log, service } = recorder();
  const list = new ServiceList().add(service("store"), service("runner")).add(service("timer"));
  assertEquals(list.names, ["store", "runner", "timer"]);
  await list.start();
  await list.stop();
  assertEquals(log, [
    "start store",
    "start runner",
    "start timer",
    "stop timer",
    "stop runner",
    "stop store",
  ]);
});

Deno.test("ServiceList stops every service even when one fails, and reports it", async () => {
  const { log, service } = recorder();
  const list = new ServiceList().add(service("a"), service("b", { failStop: true }), service("c"));
  await list.start();
  const failures: string[] = [];
  await list.stop((name, error) => failures.push(`${name}: ${(error as Error).message}`));
  assertEquals(log.filter((line) => line.startsWith("stop")), ["stop c", "stop b", "stop a"]);
  assertEquals(failures, ["b: b would not stop"]);
});

Deno.test("ServiceList stops what started when a later service fails to start", async () => {
  const { log, service } = recorder();
  const list = new ServiceList().add(service("a"), service("b", { failStart: true }), service("c"));
  await assertRejects(() => list.start(), Error, "b would not start");
  assertEquals(log, ["start a", "stop a"]);
  // Stopping again is harmless: nothing is left running.
  await list.stop();
  assertEquals(log, ["start a", "stop a"]);
});
