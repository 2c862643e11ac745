/**
 * The typed readers that `validateConfig`'s sections share: each reads one raw key (its default from
 * `CONFIG_KEYS` applied), records a {@link ConfigProblem} when the value is not allowed, and still
 * returns a value so that validation goes on and reports every bad key at once.
 */
import { parseIPv4Cidr } from "./cidr";
import { CONFIG_KEYS } from "./configKeys";
import type { ConfigProblem } from "./configTypes";

/** The raw config strings, as `pulumi.Config.get` returns them. */
export type Raw = Readonly<Record<string, string | undefined>>;

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/**
 * An image reference per the distribution reference grammar: [host[:port]/]path[:tag][@digest].
 * Nothing outside this grammar (spaces, quotes, `$`, `;`, backticks) can pass.
 */
const IMAGE_REF =
  /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Reads and checks raw keys; every problem lands in {@link ConfigReader.problems}, in order. */
export interface ConfigReader {
  /** Every bad key found so far, in the order found. */
  readonly problems: ConfigProblem[];
  /** Records a bad key (the value of a secret key is shown as "[secret]"). */
  bad(key: string, value: string, allowed: string): void;
  /** The raw value, else the key's default, else "". */
  get(key: string): string;
  /** A decimal integer in [min, max] (min when bad). */
  int(key: string, min: number, max: number, allowed: string): number;
  /** "true" or "false" (false when bad). */
  bool(key: string): boolean;
  /** A network-form IPv4 CIDR (undefined when bad). */
  cidr(key: string): string | undefined;
  /** An image reference within the distribution reference grammar. */
  image(key: string): string;
  /** A DNS-1123 label of at most `max` characters. */
  dnsLabel(key: string, max: number): string;
}

/** A reader of `raw` with an empty problem list. */
export function configReader(raw: Raw): ConfigReader {
  const problems: ConfigProblem[] = [];
  const bad = (key: string, value: string, allowed: string): void => {
    problems.push({
      key,
      value: Object.hasOwn(CONFIG_KEYS, key) && CONFIG_KEYS[key].secret ? "[secret]" : value,
      allowed,
    });
  };
  const get = (key: string): string => raw[key] ?? CONFIG_KEYS[key]?.default ?? "";

  const int = (key: string, min: number, max: number, allowed: string): number => {
    const value = get(key);
    const n = /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      bad(key, value, allowed);
      return min;
    }
    return n;
  };
  const bool = (key: string): boolean => {
    const value = get(key);
    if (value !== "true" && value !== "false") {
      bad(key, value, "must be true or false");
      return false;
    }
    return value === "true";
  };
  const cidr = (key: string): string | undefined => {
    const value = get(key);
    const parsed = parseIPv4Cidr(value);
    if (typeof parsed === "string") {
      bad(key, value, parsed);
      return undefined;
    }
    return value;
  };
  const image = (key: string): string => {
    const value = get(key);
    if (!IMAGE_REF.test(value) || value.length > 255) {
      bad(
        key,
        value,
        "must be an image reference [registry/]name[:tag][@sha256:digest] (no spaces or shell characters)",
      );
    }
    return value;
  };
  const dnsLabel = (key: string, max: number): string => {
    const value = get(key);
    if (!DNS1123_LABEL.test(value) || value.length > max) {
      bad(
        key,
        value,
        `must be a DNS-1123 label (lowercase a-z, 0-9, '-', starting and ending alphanumeric) of at most ${max} characters`,
      );
    }
    return value;
  };

  return { problems, bad, get, int, bool, cidr, image, dnsLabel };
}
