// The pack's entry point: it only constructs the PolicyPack, which starts the analyzer server the
// Pulumi CLI talks to. The policies live in ./policies so that tests can import them.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("cilium-ebpf-lab", { policies });
