/**
 * The semver functions the lab uses, each loaded from its own module of the semver package
 * (`semver/functions/<name>`), as its README offers "if you'd like to minimize your footprint"
 * (node_modules/semver/README.md, semver 7.8.6, lines 29 and 72). `require("semver")` loads all 48
 * modules of the package: 32-33 ms of CPU at every runner start on this 2-core machine, where these
 * load in 12-15 ms (`node -e` timing `require` with process.cpuUsage, three runs each), and the stack
 * starts one runner per check, 14 at once. Same functions, same behaviour.
 */
import coerce from "semver/functions/coerce";
import gt from "semver/functions/gt";
import gte from "semver/functions/gte";
import lt from "semver/functions/lt";
import major from "semver/functions/major";
import minor from "semver/functions/minor";
import parse from "semver/functions/parse";
import satisfies from "semver/functions/satisfies";
import valid from "semver/functions/valid";
import type SemVer from "semver/classes/semver";

export { coerce, gt, gte, lt, major, minor, parse, satisfies, valid };
export type { SemVer };
