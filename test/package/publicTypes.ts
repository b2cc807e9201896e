/**
 * Finds the types a package's public signatures name but none of its entries exports: emits the
 * declarations in memory (so inferred types are spelled out as tsc writes them for users), then
 * walks every exported declaration for references to types declared in the package itself.
 */
import { dirname, join, resolve, sep } from "node:path"
import ts from "typescript"

const OUT = "/__declarations__"

const emitDeclarations = (entries: ReadonlyArray<string>, options: ts.CompilerOptions, sourceRoot: string) => {
  const files = new Map<string, string>()
  const program = ts.createProgram(entries, {
    ...options,
    declaration: true,
    emitDeclarationOnly: true,
    declarationMap: false,
    noEmit: false,
    rootDir: sourceRoot,
    outDir: OUT
  })
  const result = program.emit(undefined, (name, text) => files.set(name, text))
  const errors = ts.getPreEmitDiagnostics(program).concat(result.diagnostics)
  if (errors.length > 0) throw new Error(ts.formatDiagnostics(errors, ts.createCompilerHost(options)))
  return files
}

const declarationProgram = (
  files: Map<string, string>,
  entries: ReadonlyArray<string>,
  options: ts.CompilerOptions
) => {
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  host.readFile = (name) => files.get(name) ?? readFile(name)
  host.fileExists = (name) => files.has(name) || fileExists(name)
  host.directoryExists = (name) => name === OUT || name.startsWith(`${OUT}/`) || ts.sys.directoryExists(name)
  host.realpath = (name) => name.startsWith(OUT) ? name : ts.sys.realpath?.(name) ?? name
  host.getSourceFile = (name, languageVersion) => {
    const text = host.readFile(name)
    return text === undefined ? undefined : ts.createSourceFile(name, text, languageVersion, true)
  }
  return ts.createProgram(entries, { ...options, noEmit: true }, host)
}

/** tsc writes `declare const X_base: …` for `class X extends f(…)`: users never name it. */
const emitArtifact = (declaration: ts.Declaration) =>
  ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name) && declaration.name.text.endsWith("_base")

const referencedName = (node: ts.Node): ts.Node | undefined => {
  if (ts.isTypeReferenceNode(node)) return ts.isQualifiedName(node.typeName) ? node.typeName.right : node.typeName
  if (ts.isExpressionWithTypeArguments(node)) return node.expression
  if (ts.isTypeQueryNode(node)) return ts.isQualifiedName(node.exprName) ? node.exprName.right : node.exprName
  if (ts.isImportTypeNode(node) && node.qualifier !== undefined) {
    return ts.isQualifiedName(node.qualifier) ? node.qualifier.right : node.qualifier
  }
  return undefined
}

/** The folder every one of `paths` is in. */
const commonFolder = (paths: ReadonlyArray<string>) =>
  paths.map(dirname).reduce((common, folder) => {
    while (folder !== common && !folder.startsWith(common + sep)) common = dirname(common)
    return common
  })

/**
 * The names (`file: Name`) of package-declared types reachable from the entries' exports that
 * no entry exports, itself or through an exported namespace (a host imports from any entry).
 */
export const unexportedPublicTypes = (
  entryOrEntries: string | ReadonlyArray<string>,
  options: ts.CompilerOptions
): Array<string> => {
  const entries = (typeof entryOrEntries === "string" ? [entryOrEntries] : entryOrEntries).map((e) => resolve(e))
  const sourceRoot = commonFolder(entries)
  const files = emitDeclarations(entries, options, sourceRoot)
  const declarationEntries = entries.map((entry) => join(OUT, entry.slice(sourceRoot.length).replace(/\.ts$/, ".d.ts")))
  const program = declarationProgram(files, declarationEntries, options)
  const checker = program.getTypeChecker()
  const resolveAlias = (symbol: ts.Symbol) =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol
  const ours = (declaration: ts.Declaration) => files.has(declaration.getSourceFile().fileName)

  const exported = new Set<ts.Symbol>()
  const addExports = (module: ts.Symbol) => {
    for (const symbol of checker.getExportsOfModule(module)) {
      const target = resolveAlias(symbol)
      if (exported.has(target)) continue
      exported.add(target)
      if (target.flags & ts.SymbolFlags.ValueModule) addExports(target)
    }
  }
  for (const [index, declarationEntry] of declarationEntries.entries()) {
    const entryFile = program.getSourceFile(declarationEntry)
    const entrySymbol = entryFile && checker.getSymbolAtLocation(entryFile)
    if (entrySymbol === undefined) throw new Error(`${entries[index]}: no module symbol`)
    addExports(entrySymbol)
  }

  const leaked = new Map<ts.Symbol, string>()
  const visited = new Set<ts.Symbol>()
  const queue = [...exported]
  while (queue.length > 0) {
    const symbol = queue.pop()!
    if (visited.has(symbol)) continue
    visited.add(symbol)
    if (symbol.flags & ts.SymbolFlags.ValueModule) continue
    for (const declaration of symbol.declarations ?? []) {
      if (!ours(declaration)) continue
      const visit = (node: ts.Node): void => {
        const name = referencedName(node)
        const found = name && checker.getSymbolAtLocation(name)
        if (found !== undefined) {
          const target = resolveAlias(found)
          const home = target.declarations?.[0]
          if (home !== undefined && ours(home) && !(target.flags & ts.SymbolFlags.TypeParameter)) {
            if (!exported.has(target) && !emitArtifact(home)) {
              leaked.set(
                target,
                `${home.getSourceFile().fileName.slice(OUT.length + 1)}: ${target.name} (from ${symbol.name})`
              )
            }
            queue.push(target)
          }
        }
        ts.forEachChild(node, visit)
      }
      visit(declaration)
    }
  }
  return [...new Set(leaked.values())].sort()
}
