import { join } from "node:path";
import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { checkMemory } from "../../../agent/doctor/memory_check.ts";
import { MemoryService } from "../../../agent/memory/memory_service.ts";
import { LocalModelStore } from "../../../agent/models/model_store.ts";
import { ProviderRegistry } from "../../../agent/providers/registry.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { EventBus } from "../../../core/event_bus.ts";
import { Logger } from "../../../core/logger.ts";
import { statePaths } from "../../../core/paths.ts";

Deno.test("doctor memory check reports each agent's index and memory files changed since", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-doctor-memory-" });
  try {
    const paths = statePaths(root);
    const config = configSchema().parse({});
    const input = { configPath: join(root, "pyclaw.json"), config, paths, env: {} };
    assertMatch((await checkMemory(input)).message, /full-text search only.*main: not indexed yet/);

    await Deno.mkdir(join(paths.workspaceDir, "memory"), { recursive: true });
    await Deno.writeTextFile(join(paths.workspaceDir, "MEMORY.md"), "Allergic to peanuts\n");
    const memory = new MemoryService({
      config: () => config,
      paths,
      bus: new EventBus(),
      logger: new Logger({ consoleLevel: "silent" }),
      providers: new ProviderRegistry({ config: () => config }),
      localModels: new LocalModelStore(paths.modelsDir),
      localSettings: () => config.models.local,
    });
    await (await memory.index("main")).sync();
    const indexed = await checkMemory(input);
    assertEquals(indexed.status, "ok");
    assertMatch(indexed.message, /main: 1 files, 1 chunks, last indexed 20\d\d-/);
    await Deno.writeTextFile(join(paths.workspaceDir, "memory", "new.md"), "Gym on Fridays\n");
    assertMatch((await checkMemory(input)).message, /1 memory files changed since/);
    await memory.stop();

    const broken = configSchema().parse({
      agents: { defaults: { memorySearch: { provider: "nowhere", model: "m" } } },
    });
    const failed = await checkMemory({ ...input, config: broken });
    assertEquals(failed.status, "fail");
    assertMatch(
      failed.message,
      /Embedding provider unusable: Embedding provider nowhere is not configured/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
