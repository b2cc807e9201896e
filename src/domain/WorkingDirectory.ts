/**
 * Working directories as stored for comparison (SPEC §11): lexically normalised, never
 * resolved against the file system (the fold is pure, and a replay on another machine must
 * store the same value).
 * @since 0.1.0
 */

const WINDOWS_DRIVE = /^[A-Za-z]:[\\/]/
const WINDOWS_UNC = /^\\\\[^\\/]+[\\/][^\\/]+/

/**
 * `/a/b/.`, `/a/b/` and `/a//b` give `/a/b`; `..` removes the segment before it (at the root
 * it stays at the root; a relative path keeps its leading `..`). Windows paths (`C:\…`,
 * `\\server\share\…`) are normalised the same way with `\` separators. Empty stays empty.
 * @since 0.1.0
 */
export const normalizeCwd = (path: string): string => {
  if (path === "") return path
  const drive = WINDOWS_DRIVE.exec(path)
  if (drive !== null) return normalizeSegments(drive[0].slice(0, 2) + "\\", path.slice(3), /[\\/]/, "\\")
  const unc = WINDOWS_UNC.exec(path)
  if (unc !== null) {
    const prefix = unc[0].replace(/\//g, "\\")
    return normalizeSegments(prefix, path.slice(unc[0].length), /[\\/]/, "\\", true)
  }
  if (path.startsWith("/")) return normalizeSegments("/", path, /\//, "/")
  return normalizeSegments("", path, /\//, "/")
}

/**
 * The segments after `root`, with `.` and empty ones dropped and `..` applied. `rootIsShare`
 * marks a UNC share, which is joined to its first segment with a separator.
 */
const normalizeSegments = (
  root: string,
  rest: string,
  separator: RegExp,
  join: string,
  rootIsShare = false
): string => {
  const kept: Array<string> = []
  for (const segment of rest.split(separator)) {
    if (segment === "" || segment === ".") continue
    if (segment === "..") {
      const last = kept[kept.length - 1]
      if (last !== undefined && last !== "..") kept.pop()
      else if (root === "") kept.push(segment)
      continue
    }
    kept.push(segment)
  }
  const body = kept.join(join)
  if (root === "") return body === "" ? "." : body
  if (rootIsShare) return body === "" ? root : `${root}${join}${body}`
  return root + body
}
