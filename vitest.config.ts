import { defineConfig } from "vitest/config";

/**
 * Two projects: the unit suite (files in parallel), then the control-plane suite
 * (test/control-plane/*.cp.test.ts), one file at a time after the unit suite has finished: each
 * of its labs starts its own etcd and kube-apiserver, which wants the machine to itself. Without
 * the built control plane it skips with one line (`bash test/control-plane/build.sh` builds it).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/e2e/**", "test/control-plane/**/*.cp.test.ts", "node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "control-plane",
          include: ["test/control-plane/**/*.cp.test.ts"],
          fileParallelism: false,
          testTimeout: 10 * 60_000,
          hookTimeout: 10 * 60_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
