/**
 * Node images this project knows: the kind release each was built for. kind supports a node image
 * "with the kind version they were released with (and best effort with other releases)"
 * (kind site/content/docs/design/node-image.md, https://kind.sigs.k8s.io/docs/design/node-image).
 */
export interface KnownImage {
  readonly kubernetes: string;
  /** The kind release that built it and lists it in its release notes. */
  readonly kind: string;
  readonly source: string;
}

const BY_DIGEST: Readonly<Record<string, KnownImage>> = {
  // Release notes of kind v0.18.0 (https://github.com/kubernetes-sigs/kind/releases/tag/v0.18.0).
  "sha256:e5fd1d9cd7a9a50939f9c005684df5a6d145e8d695e78463637b79464292e66c": {
    kubernetes: "1.23.17",
    kind: "0.18.0",
    source: "kind v0.18.0 release notes",
  },
  // kind v0.12.0's default image (kind pkg/apis/config/defaults/image.go at tag v0.12.0).
  "sha256:0e34f0d0fd448aa2f2819cfd74e99fe5793a6e4938b328f657c8e3f81ee0dfb9": {
    kubernetes: "1.23.4",
    kind: "0.12.0",
    source: "kind v0.12.0 pkg/apis/config/defaults/image.go",
  },
  // kind v0.29.0's default image (kind pkg/apis/config/defaults/image.go at tag v0.29.0).
  "sha256:050072256b9a903bd914c0b2866828150cb229cea0efe5892e2b644d5dd3b34f": {
    kubernetes: "1.33.1",
    kind: "0.29.0",
    source: "kind v0.29.0 pkg/apis/config/defaults/image.go",
  },
};

/** The digest of an image reference, when it is pinned by one. */
export function imageDigest(image: string): string | undefined {
  const m = /@(sha256:[a-f0-9]{64})$/.exec(image);
  return m ? m[1] : undefined;
}

/** What is known about a node image (by its digest), if anything. */
export function knownImage(image: string): KnownImage | undefined {
  const digest = imageDigest(image);
  return digest ? BY_DIGEST[digest] : undefined;
}
