/** @module Every HTTP route besides `/health` and the WebSocket upgrade. */

import type { HttpRoute } from "./http_routes.ts";
import { deviceRoutes } from "./device_routes.ts";
import { fileRoutes } from "./file_routes.ts";
import { openAiRoutes } from "./openai/openai_routes.ts";
import { uiRoutes } from "./ui/ui_routes.ts";

export const HTTP_ROUTES: HttpRoute[] = [
  ...openAiRoutes,
  ...deviceRoutes,
  ...fileRoutes,
  ...uiRoutes,
];
