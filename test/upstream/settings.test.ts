import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { upstreamSettingsFromEnv } from "../../lib/upstream/settings.ts";

describe("upstreamSettingsFromEnv", () => {
  it("reads LABS_OFFLINE, LABS_MIRROR and LABS_CACHE_DIR", () => {
    expect(upstreamSettingsFromEnv({ LABS_OFFLINE: "1", LABS_MIRROR: "/m", LABS_CACHE_DIR: "/c" })).toEqual({
      offline: true,
      mirror: "/m",
      cacheDir: "/c",
    });
  });

  it("makes a relative LABS_CACHE_DIR absolute: kind mounts folders of the cache (#10)", () => {
    expect(upstreamSettingsFromEnv({ LABS_CACHE_DIR: "cache" }).cacheDir).toBe(join(process.cwd(), "cache"));
    expect(upstreamSettingsFromEnv({ XDG_CACHE_HOME: "xdg" }).cacheDir).toBe(
      join(process.cwd(), "xdg", "labs"),
    );
  });

  it("is online without a mirror by default, caching under XDG_CACHE_HOME", () => {
    expect(upstreamSettingsFromEnv({ XDG_CACHE_HOME: "/xdg" })).toEqual({
      offline: false,
      cacheDir: "/xdg/labs",
    });
    expect(upstreamSettingsFromEnv({ LABS_OFFLINE: "0", XDG_CACHE_HOME: "/xdg" }).offline).toBe(false);
  });
});
