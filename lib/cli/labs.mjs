#!/usr/bin/env node
// The `labs` executable: registers the TypeScript loader (lib/ and the lab files), then runs the CLI.
import { register } from "node:module";

// `labs list | head -1` closes the pipe early: that ends the output, it is not a crash.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
  });

register("./ts-loader.mjs", import.meta.url);
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv.slice(2));
