/**
 * Thread ids for tests that name threads by word: a UUID (SPEC §12) holding the name's bytes,
 * so ids sort as their names do and a test's expected order is unchanged.
 * @since 0.1.0
 */
export const threadIdOf = (name: string): string => {
  const hex = Buffer.from(name, "utf8").toString("hex").padEnd(32, "0")
  if (hex.length > 32) throw new Error(`thread name too long for an id: ${name}`)
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
