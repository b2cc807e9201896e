/**
 * Finds the types a package's public signatures name but its entry does not export: emits the
 * declarations in memory (so inferred types are spelled out as tsc writes them for users), then
 * walks every exported declaration for references to types declared in the package itself.
 */
import { dirname, join, resolve } from "node:path"
import ts from "typescript"

const OUT = "/__declarations__"

const emitDeclarations = (entry: string, options: ts.CompilerOptions, sourceRoot: string) => {
  const files = new Map<string, string>()
  const program = ts.createProgram([entry], {
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

const declarationProgram = (files: Map<string, string>, entry: string, options: ts.CompilerOptions) => {
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
  return ts.createProgram([entry], { ...options, noEmit: true }, host)
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

/**
 * The names (`file: Name`) of package-declared types reachable from the entry's exports that
 * the entry does not export, itself or through an exported namespace.
 */
export const unexportedPublicTypes = (entry: string, options: ts.CompilerOptions): Array<string> => {
  const sourceRoot = dirname(resolve(entry))
  const files = emitDeclarations(resolve(entry), options, sourceRoot)
  const declarationEntry = join(OUT, resolve(entry).slice(sourceRoot.length).replace(/\.ts$/, ".d.ts"))
  const program = declarationProgram(files, declarationEntry, options)
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
  const entryFile = program.getSourceFile(declarationEntry)
  const entrySymbol = entryFile && checker.getSymbolAtLocation(entryFile)
  if (entrySymbol === undefined) throw new Error(`${entry}: no module symbol`)
  addExports(entrySymbol)

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
