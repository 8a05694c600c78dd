// Parse dagitty texts with dagitty's official grammar (GraphDotParser.pegjs from jtextor/dagitty,
// compiled with pegjs 0.10) and expand statements the way dagitty's GraphParser does.
const parser = require("./GraphDotParser.js");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
function run(text) {
  let code = text.trim();
  if (!/^(digraph|graph|dag|pdag|mag|pag)(\s+\w+)?\s*\{([\s\S]*)\}$/mi.test(code)) code = "dag{ " + code + "}";
  let ast;
  try { ast = parser.parse(code); } catch (e) { return { error: e.message, line: e.location ? e.location.start.line : null }; }
  const nodes = new Set(), latent = new Set(), edges = [], attrs = {}, eattrs = [];
  function stmts(list) {
    const mine = new Set();
    const v = (id) => { nodes.add(id); mine.add(id); return [id]; };
    const side = (x) => (typeof x === "string" ? v(x) : (() => { const r = stmts(x.statements); r.forEach(n => mine.add(n)); return r; })());
    for (const s of list) {
      if (s.type === "node" && s.id === "graph") continue;
      if (s.type === "subgraph") { stmts(s.statements).forEach(n => mine.add(n)); continue; }
      if (s.type === "node") {
        v(s.id);
        for (const [k, val] of (Array.isArray(s.attributes) ? s.attributes : [])) {
          if (["latent", "l", "unobserved", "u"].includes(k)) latent.add(s.id);
          else { attrs[s.id] = attrs[s.id] || {}; attrs[s.id][k] = String(val); }
        }
        continue;
      }
      if (s.type === "edge") {
        for (let i = 3; i <= s.content.length; i += 2) {
          const a = side(s.content[i - 3]), b = side(s.content[i - 1]), op = s.content[i - 2];
          let last = null;
          for (const x of a) for (const y of b) {
            if (op === "->") last = [x, y, "->"];
            else if (op === "<-") last = [y, x, "->"];
            else last = [x, y, op];
            edges.push(last);
          }
          const at = {};
          for (const [k, val] of s.attributes) at[k] = String(val);
          if (last) eattrs.push([last[0], last[1], at]);
        }
      }
    }
    return [...mine];
  }
  stmts(ast.statements);
  return { type: ast.type, nodes: [...nodes], latent: [...latent], edges, node_attrs: attrs, edge_attrs: eattrs };
}
process.stdout.write(JSON.stringify(input.map(run)));
