/**
 * Where the platform's images come from, and which image references production accepts. Pure
 * data and functions: the stack config, the spec checks, the components and the policy pack all
 * use these, so the rule is written once.
 */

/**
 * The registry shown when `imageRegistry` is not set: `pulumi preview` and the offline render
 * still run, with every platform image under this name, which cannot resolve (`.invalid` is
 * reserved, RFC 2606); `pulumi up` refuses to deploy until the registry is set.
 */
export const IMAGE_REGISTRY_UNSET = "image-registry-not-set.invalid";

/** A digest, as an image tag field may give it instead of a tag. */
const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** A release version: three numbers, an optional `v`, an optional pre-release (`1.4.2-rc.1`). */
const PINNED_VERSION_PATTERN = /^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z][0-9A-Za-z.-]*)?$/;

/** What production expects of a tag, in messages. */
export const PINNED_EXPECTATION = 'a pinned version such as "1.4.2" or a digest "sha256:<64 hex>"';

/**
 * Whether a tag (or a digest) names one image for good. Production runs only such images: a tag
 * such as `production`, `staging`, `latest` or `3.12-slim` can be moved to another image, and
 * then what runs is not what was reviewed. (A registry can overwrite a version tag too; a digest
 * cannot be.)
 */
export function isPinned(tagOrDigest: string): boolean {
  return DIGEST_PATTERN.test(tagOrDigest) || PINNED_VERSION_PATTERN.test(tagOrDigest);
}

/** `<registry>/<repository>:<tag>`, or `<registry>/<repository>@sha256:...` for a digest. */
export function imageRef(registry: string, repository: string, tagOrDigest: string): string {
  return withTagOrDigest(`${registry}/${repository}`, tagOrDigest);
}

/** `<repository>:<tag>`, or `<repository>@sha256:...` for a digest. */
function withTagOrDigest(repository: string, tagOrDigest: string): string {
  const separator = DIGEST_PATTERN.test(tagOrDigest) ? "@" : ":";
  return `${repository}${separator}${tagOrDigest}`;
}

/**
 * A service's image: under the stack's registry, or from its own full repository (TigerBeetle's
 * official image), by tag or by digest.
 */
export function imageOf(
  source: { readonly repository: string; readonly underRegistry: boolean },
  registry: string,
  tagOrDigest: string,
): string {
  return source.underRegistry
    ? imageRef(registry, source.repository, tagOrDigest)
    : withTagOrDigest(source.repository, tagOrDigest);
}

/** The tag of an image reference, `undefined` without one; a digest (`@sha256:...`) is said apart. */
export function imageReference(image: string): { tag?: string; digest: boolean } {
  if (image.includes("@")) return { digest: true };
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastPart.indexOf(":");
  return { tag: colon === -1 ? undefined : lastPart.slice(colon + 1), digest: false };
}

/** Whether an image reference names one image for good: by digest, or by a pinned tag. */
export function isPinnedImage(image: string): boolean {
  const { tag, digest } = imageReference(image);
  return digest || (tag !== undefined && isPinned(tag));
}

/**
 * When the kubelet pulls an image: a pinned one (a digest, a release version) once per node; any
 * other tag (`staging`, `latest`) on every start, so that a new push under a moving tag reaches
 * the pods that the next rollout starts, rather than the copy a node cached. (A moving tag alone
 * never changes the pod spec, so `pulumi up` restarts nothing; deploy by digest to roll out a
 * push: README, "Images".)
 */
export function pullPolicy(image: string): "IfNotPresent" | "Always" {
  return isPinnedImage(image) ? "IfNotPresent" : "Always";
}
