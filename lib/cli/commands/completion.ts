import { fileURLToPath } from "node:url";
import { EXIT } from "../../model/errors.ts";
import { defineCommand } from "../command.ts";
import type { Io } from "../output.ts";

const LABS_BIN = fileURLToPath(new URL("../labs.mjs", import.meta.url));

/** A word in single quotes for sh: `'it'\''s'`. */
const shQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * The completion script. It runs this node and this checkout's labs by their full paths, so it
 * completes even where `labs` is only reachable through `npx labs` (completion itself is keyed
 * on the word `labs`: put labs on PATH, or `alias labs='npx labs'`). zsh loads bash's completion
 * functions through bashcompinit.
 */
export function completionScript(node = process.execPath, bin = LABS_BIN): string {
  return `# labs completion for bash and zsh. Install: labs completion >> ~/.bashrc (or ~/.zshrc)
if [ -n "\${ZSH_VERSION:-}" ]; then autoload -U +X bashcompinit && bashcompinit; fi
_labs_complete() {
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(${shQuote(node)} ${shQuote(bin)} --get-yargs-completions "\${COMP_WORDS[@]:0:COMP_CWORD+1}" 2>/dev/null)" -- "\${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _labs_complete labs
`;
}

export const completionCommand = defineCommand({
  command: "completion",
  describe: "Print a shell completion script (bash/zsh): labs completion >> ~/.bashrc",
  builder: (y) =>
    y.example("labs completion >> ~/.bashrc", "then open a new shell: labs sh<TAB> completes to show"),
  run: async (_args: unknown, io: Io) => {
    io.out(completionScript());
    return EXIT.ok;
  },
});
