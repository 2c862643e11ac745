import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import {
  KubeProxyMode,
  NodeInfo,
  kindConfigYaml,
  kindCreateScript,
  kindDeleteScript,
  kindKubeconfigScript,
  nodeInventoryScript,
  parseNodeInventory,
} from "./kindConfig";

/** Arguments of {@link KindCluster}. They are stored as the component's inputs, so policies judge them. */
export interface KindClusterArgs {
  /** kind cluster name; node containers are `<name>-control-plane`, `<name>-worker`, ... */
  readonly clusterName: string;
  /** kind node image, e.g. `kindest/node:v1.23.4`. */
  readonly nodeImage: string;
  /** Number of worker nodes. Defaults to 2. */
  readonly workers?: number;
  /** Name of the Docker network created for the nodes. */
  readonly networkName: string;
  /** Subnet of that network (the nodes' addresses come from it). */
  readonly nodeSubnet: string;
  /** containerd registry mirrors. Defaults to none. */
  readonly registryMirrors?: Readonly<Record<string, readonly string[]>>;
  /** Defaults to true: no kindnet, Cilium is the CNI. */
  readonly disableDefaultCNI?: boolean;
  /** Defaults to "none": no kube-proxy, Cilium replaces it. */
  readonly kubeProxyMode?: KubeProxyMode;
}

/**
 * A kind cluster on a Docker network this stack owns: `kind create cluster` on create, `kind delete
 * cluster` on delete, the kubeconfig as a secret and the node inventory from `kubectl get nodes -o json`.
 *
 * If a kind cluster of the same name already exists, create fails with a message saying how to
 * delete it: the stack never adopts a cluster whose shape it did not choose.
 */
export class KindCluster extends pulumi.ComponentResource {
  /** The Docker network the nodes are attached to. */
  public readonly network: docker.Network;
  /** The `kind create cluster` / `kind delete cluster` command. */
  public readonly cluster: command.local.Command;
  public readonly clusterName: pulumi.Output<string>;
  /** Admin kubeconfig of the cluster (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Nodes with their role and internal IP, sorted by name. */
  public readonly nodes: pulumi.Output<NodeInfo[]>;
  /** The kind config YAML given to kind on stdin. */
  public readonly kindConfig: pulumi.Output<string>;

  constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const workers = args.workers ?? 2;
    const config = kindConfigYaml({
      workers,
      registryMirrors: args.registryMirrors,
      disableDefaultCNI: args.disableDefaultCNI,
      kubeProxyMode: args.kubeProxyMode,
    });
    // The args (with defaults applied and the rendered config) are the component's inputs so that
    // the policy pack can judge the cluster that will be created.
    super(
      "lab:index:KindCluster",
      name,
      {
        ...args,
        workers,
        disableDefaultCNI: args.disableDefaultCNI ?? true,
        kubeProxyMode: args.kubeProxyMode ?? "none",
        kindConfig: config,
      },
      opts,
    );
    this.kindConfig = pulumi.output(config);

    const [subnetAddr, prefix] = ipaddr.parseCIDR(args.nodeSubnet);
    if (subnetAddr.kind() !== "ipv4" || prefix > 28) {
      throw new pulumi.ResourceError(
        `nodeSubnet ${args.nodeSubnet} must be an IPv4 CIDR of /28 or larger`,
        this,
      );
    }
    const gateway = ipaddr
      .fromByteArray(subnetAddr.toByteArray().map((b, i, all) => (i === all.length - 1 ? b + 1 : b)))
      .toString();

    this.network = new docker.Network(
      `${name}-network`,
      {
        name: args.networkName,
        driver: "bridge",
        ipamConfigs: [{ subnet: args.nodeSubnet, gateway }],
        // kind's own network masquerades outbound traffic and uses MTU 1500; keep both.
        options: {
          "com.docker.network.bridge.enable_ip_masquerade": "true",
          "com.docker.network.driver.mtu": "1500",
        },
      },
      { parent: this },
    );

    this.cluster = new command.local.Command(
      `${name}-cluster`,
      {
        create: kindCreateScript({
          clusterName: args.clusterName,
          nodeImage: args.nodeImage,
          networkName: args.networkName,
        }),
        delete: kindDeleteScript(args.clusterName),
        stdin: config,
        // Any change to the cluster's shape recreates it (kind cannot change a running cluster).
        triggers: [args.clusterName, args.nodeImage, args.networkName, config],
        addPreviousOutputInEnv: false,
      },
      {
        parent: this,
        dependsOn: [this.network],
        // The new cluster has the same name as the old one: delete first.
        deleteBeforeReplace: true,
        customTimeouts: { create: "15m", delete: "10m" },
      },
    );

    const kubeconfigCmd = new command.local.Command(
      `${name}-kubeconfig`,
      {
        create: kindKubeconfigScript(args.clusterName),
        triggers: [this.cluster.id],
        // The kubeconfig holds the cluster's admin credentials: never print it.
        logging: "none",
        addPreviousOutputInEnv: false,
      },
      { parent: this, additionalSecretOutputs: ["stdout"], customTimeouts: { create: "2m" } },
    );
    this.kubeconfig = pulumi.secret(kubeconfigCmd.stdout);

    const inventoryCmd = new command.local.Command(
      `${name}-nodes`,
      {
        create: nodeInventoryScript(args.clusterName),
        triggers: [this.cluster.id],
        logging: "stderr",
        addPreviousOutputInEnv: false,
      },
      { parent: this, customTimeouts: { create: "3m" } },
    );
    this.nodes = inventoryCmd.stdout.apply(parseNodeInventory);
    this.clusterName = this.cluster.id.apply(() => args.clusterName);

    this.registerOutputs({
      network: this.network,
      cluster: this.cluster,
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      nodes: this.nodes,
      kindConfig: this.kindConfig,
    });
  }
}
