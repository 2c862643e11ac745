/**
 * Type tokens of the resources the pack judges, and a typed filter for resources that have no SDK
 * class to hand to `validateResourceOfType` (the lab's own components, commands, several Helm types).
 */
import { ReportViolation, ResourceValidation, ResourceValidationArgs } from "@pulumi/policy";
import { Plain, snapshot } from "./props";

export const TYPES = {
  /** The lab's kind cluster component; its args (with defaults and the kind config) are its inputs. */
  kindCluster: "lab:index:KindCluster",
  /** @pulumi/command's local Command (any stack's `kind create cluster`). */
  command: "command:local:Command",
  helmRelease: "kubernetes:helm.sh/v3:Release",
  /** helm.v3.Chart: a component of @pulumi/kubernetes' Node SDK; its args are its inputs. */
  helmChartV3: "kubernetes:helm.sh/v3:Chart",
  /** helm.v4.Chart: a remote component (the provider renders it); its args are its inputs. */
  helmChartV4: "kubernetes:helm.sh/v4:Chart",
  dockerNetwork: "docker:index/network:Network",
  daemonSet: "kubernetes:apps/v1:DaemonSet",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
} as const;

/** The Helm types whose inputs name a chart, its version and its values. */
export const HELM_TYPES: readonly string[] = [TYPES.helmRelease, TYPES.helmChartV3, TYPES.helmChartV4];

/** DaemonSets of every API group/version the Kubernetes provider knows (apps/v1, extensions/v1beta1, ...). */
export function isDaemonSetType(type: string): boolean {
  return /^kubernetes:(apps|extensions)\/[^:]+:DaemonSet$/.test(type);
}

/** ConfigMaps (core/v1, and the provider's ConfigMapPatch/ConfigMapList are not objects to judge). */
export function isConfigMapType(type: string): boolean {
  return type === TYPES.configMap;
}

/**
 * Like `validateResourceOfType`, for type tokens: runs `validate` on resources of those types and
 * marks the policy not applicable to the others. `validate` gets a {@link snapshot} of the props.
 */
export function validateResourceOfToken(
  tokens: string | readonly string[],
  validate: (props: Plain, args: ResourceValidationArgs, report: ReportViolation) => void | Promise<void>,
): ResourceValidation {
  const list = typeof tokens === "string" ? [tokens] : tokens;
  return (args, report) => {
    if (!list.includes(args.type)) {
      args.notApplicable(`Policy only applies to resources of type ${list.map((t) => `'${t}'`).join(", ")}`);
    }
    return validate(snapshot(args.props), args, report);
  };
}
