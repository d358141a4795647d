/** @module What `gateway run` says when it cannot listen where it was told to. */

export function badBind(source: string, value: string): string {
  return `${source} ${JSON.stringify(value)} is not an address: use loopback, lan, or an IP ` +
    "address such as 127.0.0.1 or 0.0.0.0";
}

/**
 * Names the port that is taken and where it came from. The HTTP listener fails the same way
 * when its port is configured, so look which one is really taken.
 */
export function portInUse(
  wanted: number,
  fromFlag: boolean,
  hostname: string,
  options: { httpPort?: number | false },
): string {
  let wsFree = false;
  try {
    Deno.listen({ hostname, port: wanted }).close();
    wsFree = true;
  } catch { /* taken: the WebSocket port is the one */ }
  if (wsFree) {
    return `HTTP port ${options.httpPort} (gateway.http.port) is in use: choose another, or ` +
      "set it to false to serve the HTTP API on the WebSocket port only";
  }
  const source = fromFlag ? "--port" : "gateway.port";
  return `Port ${wanted} (${source}) is in use: another gateway? Try --port <port>, or ` +
    "`pyclaw gateway stop` if it is an old pyclaw gateway";
}
