/**
 * Type tokens of the resources the lab declares, and a typed filter for resources that have no SDK
 * class to hand to `validateResourceOfType` (the lab's own components).
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { Plain, snapshot } from "./props";

export const TYPES = {
  /** The lab's kind cluster component; its args (with defaults and the kind config) are its props. */
  kindCluster: "lab:index:KindCluster",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  dockerNetwork: "docker:index/network:Network",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
} as const;

/** DaemonSets of every API group/version the Kubernetes provider knows (apps/v1, extensions/v1beta1, ...). */
export function isDaemonSetType(type: string): boolean {
  return /^kubernetes:(apps|extensions)\/[^:]+:DaemonSet$/.test(type);
}

/**
 * Like `validateResourceOfType`, for a type token: runs `validate` on resources of that type and
 * marks the policy not applicable to the others. `validate` gets a {@link snapshot} of the props.
 */
export function validateResourceOfToken(
  token: string,
  validate: (props: Plain, args: ResourceValidationArgs, report: ReportViolation) => void,
): ResourceValidation {
  return (args, report) => {
    if (args.type !== token) {
      args.notApplicable(`Policy only applies to resources of type '${token}'`);
    }
    validate(snapshot(args.props), args, report);
  };
}
