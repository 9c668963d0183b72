/** `<registry>/<repository>:<tag>`, or `<repository>:<tag>` when the registry is "". */
export function imageRef(registry: string, repository: string, tag: string): string {
  return registry === "" ? `${repository}:${tag}` : `${registry}/${repository}:${tag}`;
}
