#!/usr/bin/env node
/**
 * Code-shape figures for reviews and closing notes: the functions longer than a limit (nested
 * closures count towards their enclosing function too) and the non-null assertions (`x!`) per
 * file, read from the TypeScript syntax tree.
 *
 *   node scripts/code-figures.js            # src/, functions over 80 lines
 *   node scripts/code-figures.js src/aws 40 # one folder, another limit
 */
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const root = process.argv[2] || 'src';
const limit = Number(process.argv[3] || 80);
const long = [];
const nonNull = new Map();

function walk(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) scan(p);
  }
}

function scan(file) {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const line = pos => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = node => {
    if (ts.isNonNullExpression(node)) nonNull.set(file, (nonNull.get(file) || 0) + 1);
    const fn = ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node)
      || ts.isFunctionExpression(node) || ts.isConstructorDeclaration(node);
    if (fn && node.body) {
      const lines = line(node.end) - line(node.getStart()) + 1;
      const owner = node.name ?? node.parent?.name;
      if (lines > limit) long.push({ lines, where: `${file}:${line(node.getStart())}`, name: owner ? owner.getText() : '<anonymous>' });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

walk(root);
long.sort((a, b) => b.lines - a.lines || a.where.localeCompare(b.where));
console.log(`${long.length} function(s) over ${limit} lines in ${root}:`);
for (const f of long) console.log(`  ${String(f.lines).padStart(4)}  ${f.name}  ${f.where}`);
const total = [...nonNull.values()].reduce((a, b) => a + b, 0);
console.log(`${total} non-null assertion(s) in ${root}; most:`);
for (const [file, n] of [...nonNull].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 10)) console.log(`  ${String(n).padStart(4)}  ${file}`);
