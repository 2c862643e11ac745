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
  kindUpdateScript,
  nodeInventoryScript,
  parseNodeInventory,
} from "./kindConfig";
import { NETWORK_OPTIONS_LABEL, kindNetworkOptions, optionsLabel } from "./kindNetwork";
import { NETWORK_OWNER_LABEL } from "../lib/labels";
import { inOwnProcessGroup } from "../lib/processGroup";

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
  /** What must succeed before Docker is touched: the preflight. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * The Docker endpoint of the Docker CLI's current context, given to the Pulumi Docker provider so
   * that the network lands in the daemon kind uses (lib/dockerEndpoint.ts). Defaults to the provider's
   * own choice (DOCKER_HOST, else unix:///var/run/docker.sock).
   */
  readonly dockerHost?: string;
  /**
   * Values whose change recreates the cluster besides its shape: the Cilium minor version (Cilium
   * supports upgrades between consecutive minor versions only; a new cluster is a fresh install).
   * Defaults to none.
   */
  readonly recreateOn?: readonly string[];
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
  /**
   * The identity of this cluster instance: the name and the id of the create Command, which
   * @pulumi/command draws anew on every create (v1.2.1 provider/pkg/provider/local/commandController.go
   * line 42, resource.NewUniqueHex), so a recreated cluster has a new identity.
   */
  public readonly clusterIdentity: pulumi.Output<string>;
  /** Admin kubeconfig of the cluster (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  /** Nodes with their role and internal IP, sorted by name. */
  public readonly nodes: pulumi.Output<NodeInfo[]>;
  /** The kind config YAML given to kind on stdin. */
  public readonly kindConfig: pulumi.Output<string>;

  constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const workers = args.workers ?? 2;
    // dependsOn is an option of the children, and the endpoint a property of the machine, not part
    // of what the cluster is.
    const { dependsOn: _dependsOn, dockerHost: _dockerHost, ...componentArgs } = args;
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
        ...componentArgs,
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

    // The daemon the Docker CLI (and so kind) uses, not the provider's own default (issue 24).
    const provider = new docker.Provider(
      `${name}-docker`,
      args.dockerHost !== undefined ? { host: args.dockerHost } : {},
      { parent: this },
    );
    // kind gives its network the MTU of Docker's `bridge` network, and none when that has none (kind
    // pkg/cluster/internal/providers/docker/network.go lines 66-69 and 149-176, getDefaultNetworkMTU).
    const bridge = docker.getNetworkOutput(
      { name: "bridge" },
      { parent: this, provider, dependsOn: args.dependsOn ?? [] },
    );
    const stackLabel = `${pulumi.getProject()}/${pulumi.getStack()}`;
    const options = bridge.options.apply((o) => kindNetworkOptions(o));
    this.network = new docker.Network(
      `${name}-network`,
      {
        name: args.networkName,
        driver: "bridge",
        ipamConfigs: [{ subnet: args.nodeSubnet, gateway }],
        options,
        labels: [
          // Marks the network as this stack's: the create script and the preflight recognise it by it.
          { label: NETWORK_OWNER_LABEL, value: stackLabel },
          // The options the stack chose, where the daemon adds nothing (see ignoreChanges below).
          { label: NETWORK_OPTIONS_LABEL, value: options.apply(optionsLabel) },
        ],
      },
      {
        parent: this,
        provider,
        dependsOn: args.dependsOn ?? [],
        // The daemon adds its `default-network-opts` to every network it creates (moby
        // daemon/network.go lines 315-324 at b985e2313a86) and the provider reads them back into the
        // state (terraform-provider-docker resource_docker_network_funcs.go line 193), where they
        // differ from the inputs: `options` is ForceNew (resource_docker_network.go lines 48-54), so
        // every up would replace the network and the cluster. The options are compared through the
        // label above instead (labels are ForceNew too, and the daemon adds none).
        ignoreChanges: ["options"],
        // Every input of a Docker network forces a new one (the bridged kreuzwerker/terraform-provider-docker
        // internal/provider/resource_docker_network.go has no update; every argument is ForceNew) and the
        // replacement has the same name, which Docker refuses while the old one exists: delete first. The
        // engine then first deletes the dependants whose inputs follow the network (the cluster, through
        // `this.network.id` in its triggers): pulumi/pulumi pkg/resource/deploy/step_generator.go lines
        // 2047-2080 and 3268-3330 (calculateDependentReplacements).
        deleteBeforeReplace: true,
      },
    );

    const clusterUrn = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::lab:index:KindCluster$command:local:Command::${name}-cluster`;
    this.cluster = new command.local.Command(
      `${name}-cluster`,
      {
        // In a process group of its own, ended whole when Pulumi cancels (lib/processGroup.ts): the
        // script's own trap then deletes the half-made nodes (up to its 300 s kind delete).
        create: inOwnProcessGroup(
          kindCreateScript({
            clusterName: args.clusterName,
            nodeImage: args.nodeImage,
            networkName: args.networkName,
            stackLabel,
          }),
          { graceSeconds: 330 },
        ),
        // A change of the scripts alone runs this instead of create: it never touches the live
        // cluster (@pulumi/command v1.2.1 commandController.go lines 79-83: update if given, else create).
        update: kindUpdateScript(args.clusterName, clusterUrn),
        delete: inOwnProcessGroup(kindDeleteScript(args.clusterName), { graceSeconds: 10 }),
        stdin: config,
        // Any change to the cluster's shape recreates it (kind cannot change a running cluster);
        // triggers are replaceOnChanges (@pulumi/command v1.2.1 provider/pkg/provider/common/inputs.go
        // line 10). The network's id ties the cluster to the network instance it sits on.
        triggers: [
          args.clusterName,
          args.nodeImage,
          args.networkName,
          args.nodeSubnet,
          this.network.id,
          config,
          ...(args.recreateOn ?? []),
        ],
        addPreviousOutputInEnv: false,
      },
      {
        parent: this,
        dependsOn: [this.network],
        // The new cluster has the same name as the old one: delete first.
        deleteBeforeReplace: true,
        customTimeouts: { create: "15m", update: "2m", delete: "10m" },
      },
    );
    this.clusterIdentity = pulumi.interpolate`${args.clusterName}/${this.cluster.id}`;

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
      clusterIdentity: this.clusterIdentity,
      kubeconfig: this.kubeconfig,
      nodes: this.nodes,
      kindConfig: this.kindConfig,
    });
  }
}
