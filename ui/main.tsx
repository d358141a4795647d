/** @module The Control UI's entry point: renders the app into the page the gateway serves. */

import { render } from "preact";
import { App } from "./app.tsx";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
