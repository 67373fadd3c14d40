// report.html and the diff page: self-contained files (inline CSS and JS, nothing loaded from
// the network, no glyph that needs an emoji or symbol font).
//
// report.html puts on its first screen what a reviewer decides on: the verdict, the claimed
// profile and the failures grouped by cause (server-rendered, readable without JS). Provenance
// (command line, vector files and their SHA-256, captures and the Wireshark command) is folded
// in a <details>. The vector table is drawn by the script from an embedded JSON array, one page
// of rows at a time, so 100,000 vectors load as fast as 100; the details of a non-passing vector
// (byte map, decoded fields, hex diff) are rendered when its row is opened.
#include "reports/atomic_file.h"
#include "reports/receive_check.h"
#include "reports/writers.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <string_view>
#include <vector>

namespace sendpath::report {
namespace {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON inside <script>: '<', '>' and '&' only occur in strings, where \u escapes are equivalent.
std::string ScriptSafeJson(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

std::string CssClass(Verdict verdict) {
  switch (verdict) {
    case Verdict::kPass: return "pass";
    case Verdict::kFail: return "fail";
    case Verdict::kNotClaimed: return "not-claimed";
    case Verdict::kCandidateError: return "candidate-error";
    case Verdict::kInvalidVector: return "invalid-vector";
    case Verdict::kSkipped: return "skipped";
  }
  return "skipped";
}

constexpr std::string_view kStyle = R"css(
:root{--fg:#1d2329;--muted:#5b6670;--line:#d8dde2;--bg:#fff;--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--err:#8250df;--skip:#6e7781}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0 auto;padding:12px 24px;max-width:1500px}
h1{font-size:20px;margin:0 0 6px}h2{font-size:16px;margin:16px 0 6px;border-bottom:1px solid var(--line);padding-bottom:3px}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px;font-weight:600;margin:6px 0;font-size:15px}
.banner.ok{background:#dafbe1;border-color:#1a7f37}.banner.bad{background:#ffebe9;border-color:#cf222e}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0}dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.summary{width:auto}.summary td.n{text-align:right;font-variant-numeric:tabular-nums}
.v{font-weight:600;white-space:nowrap}.v.pass{color:var(--pass)}.v.fail{color:var(--fail)}.v.not-claimed{color:var(--skip)}
.v.candidate-error{color:var(--err)}.v.invalid-vector{color:var(--warn)}.v.skipped{color:var(--skip)}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0;align-items:center}.chip{border:1px solid var(--line);border-radius:14px;padding:1px 10px;background:#f6f8fa;cursor:pointer;user-select:none}
.chip.static{cursor:default}.chip.off{opacity:.45;text-decoration:line-through}#filter{width:100%;max-width:520px;padding:6px 8px;border:1px solid var(--line);border-radius:6px}
table.groups td.n{text-align:right;font-variant-numeric:tabular-nums;width:4em}table.groups td.cause{width:60%}
table#vectors{table-layout:fixed}table#vectors td{overflow-wrap:anywhere}
td.id,td.mono{font-family:ui-monospace,monospace;font-size:12.5px}
button.toggle{border:1px solid var(--line);border-radius:4px;background:#f6f8fa;cursor:pointer;font:600 12px ui-monospace,monospace;width:22px;padding:0}
tr.details>td{background:#fbfcfd;padding:10px 14px}
.pager{display:flex;gap:8px;align-items:center;margin:6px 0}.pager button{padding:2px 10px}
.step{border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:8px 0;background:#fff}.step h4{margin:0 0 6px;font-size:14px}
.mono,.bytemap,.hexdiff{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.bytemap{display:grid;grid-template-columns:repeat(16,2.3em) ;gap:1px;margin:6px 0}.bytemap span{text-align:center;border-radius:2px;padding:1px 0}
.bytemap span.diff{outline:2px solid var(--fail);font-weight:700}.bytemap span.masked{text-decoration:underline dotted}
.r-link{background:#e6e6e6}.r-ip{background:#cfe2ff}.r-ip-option{background:#9ec5fe}.r-ipsec{background:#ffe69c}.r-iv{background:#ffc078}
.r-ciphertext{background:#d0bfff}.r-payload{background:#e9d8fd}.r-padding{background:#c3fae8}.r-trailer{background:#96f2d7}.r-icv{background:#ffa8a8}
.r-l4{background:#d3f9d8}.r-data{background:#f1f3f5}.r-malformed{background:#ff6b6b;color:#fff}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}.legend span{padding:1px 6px;border-radius:3px;font-size:12px}
.tag{font:600 10.5px system-ui,sans-serif;border:1px solid #8250df;color:#8250df;border-radius:3px;padding:0 3px;margin-left:6px}
table.fields td,table.fields th{font-size:12.5px;padding:2px 6px}table.fields tr.differs td{background:#ffebe9}table.fields td.val{font-family:ui-monospace,monospace;word-break:break-all}
table.hexdiff td{padding:0 6px;border:0;white-space:pre}table.hexdiff b{background:#ffcecb;color:#a40e26}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px}.muted{color:var(--muted)}ul.notes{margin:4px 0 4px 18px;padding:0}
details.fold{margin:10px 0;border:1px solid var(--line);border-radius:6px;padding:4px 10px}details.fold>summary{cursor:pointer;font-weight:600}
code.cmd{display:block;white-space:pre-wrap;word-break:break-all;background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:6px 8px;margin:4px 0}
@media print{.chips,#filter,.pager,button.toggle{display:none}}
)css";

// Shared by both pages: draws the details of one row (a vector's steps, or a diff's frame pair)
// from the embedded JSON. `names` are the capture file names shown with frame numbers.
constexpr std::string_view kDetailScript = R"js(
const names = JSON.parse(document.getElementById('page-data').textContent).captures;
function el(tag, cls, text){const e=document.createElement(tag); if(cls) e.className=cls; if(text!==undefined&&text!==null) e.textContent=String(text); return e;}
function hexBytes(h){const a=[]; if(!h) return a; for(let i=0;i+1<h.length;i+=2) a.push(h.substr(i,2)); return a;}
function regionOf(runs, n){const r=new Array(n).fill('data'); for(const [o,l,name] of (runs||[])) for(let i=o;i<o+l&&i<n;i++) r[i]=name; return r;}
function inMask(mask,i){for(const [o,l] of (mask||[])) if(i>=o&&i<o+l) return true; return false;}
function byteMap(title, bytes, regions, other, mask){
  const box = el('div'); box.appendChild(el('div','muted',title + ' (' + bytes.length + ' bytes)'));
  const grid = el('div','bytemap'); const reg = regionOf(regions, bytes.length);
  for (let i=0;i<bytes.length;i++){
    const s = el('span','r-'+reg[i], bytes[i]); s.title = 'byte ' + i + ': ' + reg[i];
    if (other && other[i] !== bytes[i]) s.classList.add(inMask(mask,i)?'masked':'diff');
    grid.appendChild(s);
  }
  box.appendChild(grid); return box;
}
function legend(){const l=el('div','legend'); for(const r of ['link','ip','ip-option','ipsec','iv','ciphertext','payload','padding','trailer','icv','l4','data']) l.appendChild(el('span','r-'+r,r)); const d=el('span','',"differs"); d.style.outline='2px solid #cf222e'; l.appendChild(d); return l;}
function hexDiff(e,a){
  const t = el('table','hexdiff'); const head = el('tr'); ['offset','expected','actual'].forEach(h=>head.appendChild(el('th','',h))); t.appendChild(head);
  const n = Math.max(e.length,a.length);
  for (let o=0;o<n;o+=16){
    const tr = el('tr'); tr.appendChild(el('td','muted',o.toString(16).padStart(4,'0')));
    for (const [mine, theirs] of [[e,a],[a,e]]){
      const td = el('td');
      for (let i=o;i<o+16;i++){
        if (i>o) td.appendChild(document.createTextNode(' '));
        const b = i<mine.length ? mine[i] : '  ';
        if (i<mine.length && mine[i]!==theirs[i]) td.appendChild(el('b','',b)); else td.appendChild(document.createTextNode(b));
      }
      tr.appendChild(td);
    }
    t.appendChild(tr);
  }
  return t;
}
function fieldTable(fields){
  const t = el('table','fields'); const h = el('tr'); ['field','offset','length','expected','actual'].forEach(x=>h.appendChild(el('th','',x))); t.appendChild(h);
  for (const f of fields){
    const tr = el('tr', f.differs?'differs':''); const name = el('td','mono',f.name);
    if (f.decrypted){const tag=el('span','tag','decrypted'); tag.title='read from the decrypted payload'; name.appendChild(tag);}
    tr.appendChild(name);
    tr.appendChild(el('td','',f.offset)); tr.appendChild(el('td','',f.length));
    tr.appendChild(el('td','val',f.expected===null?'-':f.expected)); tr.appendChild(el('td','val',f.actual===undefined?'':(f.actual===null?'-':f.actual)));
    t.appendChild(tr);
  }
  return t;
}
function renderStep(s){
  const box = el('div','step');
  const h = el('h4'); h.appendChild(el('span','',(s.op==='frame'?'Frame':'Step ' + s.index + ' (' + s.op + ')') + ': ')); h.appendChild(el('span','v '+s.verdict_class, s.verdict)); box.appendChild(h);
  if (s.diagnosis) box.appendChild(el('div','diagnosis', s.diagnosis));
  if (s.cause) box.appendChild(el('div','muted','cause: ' + s.cause + (s.rule ? ' \u2014 rule: ' + s.rule : '')));
  if (s.notes && s.notes.length){const ul=el('ul','notes'); s.notes.forEach(n=>ul.appendChild(el('li','',n))); box.appendChild(ul);}
  const st = []; if (s.expected_status) st.push('expected status ' + s.expected_status); if (s.actual_status) st.push('actual status ' + s.actual_status);
  if (s.leaked) st.push(s.leaked_plaintext ? 'LEAKED a frame carrying plaintext' : 'leaked a frame on a refused send');
  if (st.length) box.appendChild(el('div','muted',st.join(' · ')));
  const fr = s.frames; const parts = [];
  for (const k of ['input','expected','actual']) if (names[k]) parts.push(names[k] + ' #' + (fr[k]||'-'));
  if (fr.input || fr.expected || fr.actual) box.appendChild(el('div','muted','frames: ' + parts.join(' · ')));
  const e = hexBytes(s.expected_frame), a = hexBytes(s.actual_frame);
  const dec = s.decoded || {};
  if (dec.notes) dec.notes.forEach(n=>box.appendChild(el('div','muted',n)));
  if (dec.receive_check) box.appendChild(el('div','muted','receive check of the actual frame: ' + dec.receive_check.status + (dec.receive_check.reason?' - ' + dec.receive_check.reason:'')));
  if (e.length || a.length){
    box.appendChild(legend());
    const cols = el('div','cols');
    if (e.length) cols.appendChild(byteMap('expected', e, dec.regions, a.length?a:null, s.iv_bytes));
    if (a.length) cols.appendChild(byteMap('actual', a, dec.actual_regions || dec.regions, e.length?e:null, s.iv_bytes));
    box.appendChild(cols);
  }
  if (s.differences && s.differences.length){
    const t = el('table','fields'); const hh = el('tr'); ['difference','offset','expected','actual',''].forEach(x=>hh.appendChild(el('th','',x))); t.appendChild(hh);
    for (const d of s.differences){const tr=el('tr',d.consequence?'':'differs'); tr.appendChild(el('td','mono',d.field)); tr.appendChild(el('td','',d.offset)); tr.appendChild(el('td','val',d.expected)); tr.appendChild(el('td','val',d.actual)); tr.appendChild(el('td','muted',d.consequence?'consequence':'cause')); t.appendChild(tr);}
    box.appendChild(t);
  }
  if (dec.fields && dec.fields.length){const d=el('details'); d.open=true; d.appendChild(el('summary','',(e.length&&a.length)?'decoded fields, expected vs actual':'decoded fields')); d.appendChild(fieldTable(dec.fields)); box.appendChild(d);}
  if (e.length && a.length){const d=el('details'); d.appendChild(el('summary','','hex, side by side')); d.appendChild(hexDiff(e,a)); box.appendChild(d);}
  return box;
}
function renderDetails(host, v){
  if (!v || host.dataset.rendered) return;
  if (v.notes && v.notes.length){const ul=el('ul','notes'); v.notes.forEach(n=>ul.appendChild(el('li','',n))); host.appendChild(ul);}
  if (v.missing_caps && v.missing_caps.length) host.appendChild(el('div','muted','not claimed: ' + v.missing_caps.join(', ')));
  v.steps.forEach(s=>host.appendChild(renderStep(s)));
  host.dataset.rendered = '1';
}
)js";

// report.html's vector table: rows from #rows-data ([index, id, title, verdict class, verdict,
// class, diagnosis, frames, has details], failures first), a page at a time.
constexpr std::string_view kRunScript = R"js(
(function(){
  const rows = JSON.parse(document.getElementById('rows-data').textContent);
  const details = JSON.parse(document.getElementById('details-data').textContent);
  const chips = Array.from(document.querySelectorAll('.chip[data-kind]'));
  const filter = document.getElementById('filter'), body = document.getElementById('vector-rows');
  const PAGE = 100; let pageSize = PAGE, page = 0, shown = rows, search = null;
  function matches(r, q, offV, offC){
    if (offV.has(r[3]) || offC.has(r[5])) return false;
    if (!q) return true;
    if (!search) search = rows.map(x=>(x[1] + ' ' + x[2] + ' ' + x[6]).toLowerCase());
    return search[r.pos].includes(q);
  }
  rows.forEach((r,i)=>{r.pos=i;});
  function apply(){
    const q = filter.value.trim().toLowerCase();
    const offV = new Set(chips.filter(c=>c.dataset.kind==='verdict'&&c.classList.contains('off')).map(c=>c.dataset.value));
    const offC = new Set(chips.filter(c=>c.dataset.kind==='class'&&c.classList.contains('off')).map(c=>c.dataset.value));
    shown = (q || offV.size || offC.size) ? rows.filter(r=>matches(r,q,offV,offC)) : rows;
    page = 0; pageSize = PAGE; draw();
  }
  function row(r){
    const tr = el('tr','row'); tr.id = 'v-' + r[0]; tr.dataset.index = r[0]; tr.dataset.verdict = r[3]; tr.dataset.class = r[5];
    const t = el('td'); if (r[8]){const b=el('button','toggle','+'); b.setAttribute('aria-label','details'); b.addEventListener('click',()=>toggle(tr)); t.appendChild(b);} tr.appendChild(t);
    tr.appendChild(el('td','id',r[1])); tr.appendChild(el('td','',r[2])); tr.appendChild(el('td','v '+r[3],r[4])); tr.appendChild(el('td','',r[5]));
    tr.appendChild(el('td','diag',r[6])); tr.appendChild(el('td','mono',r[7]));
    return tr;
  }
  function draw(){
    const from = page*pageSize, to = Math.min(shown.length, from+pageSize);
    const frag = document.createDocumentFragment();
    for (let i=from;i<to;i++){
      const r = shown[i]; frag.appendChild(row(r));
      if (r[8]){const d=el('tr','details'); d.hidden=true; const td=el('td'); td.colSpan=7; td.appendChild(el('div','detail')); d.appendChild(td); frag.appendChild(d);}
    }
    body.replaceChildren(frag);
    const pages = Math.max(1, Math.ceil(shown.length/pageSize));
    document.getElementById('shown').textContent = shown.length + ' of ' + rows.length + ' vectors shown';
    document.getElementById('page').textContent = shown.length ? 'rows ' + (from+1) + '-' + to + ' of ' + shown.length + ' (page ' + (page+1) + ' of ' + pages + ')' : 'no rows';
    document.getElementById('prev').disabled = page === 0; document.getElementById('next').disabled = page+1 >= pages;
  }
  function toggle(tr, open){
    const det = tr.nextElementSibling; if (!det || !det.classList.contains('details')) return;
    if (open === undefined) open = det.hidden;
    if (open) renderDetails(det.querySelector('.detail'), details[tr.dataset.index]);
    det.hidden = !open; tr.querySelector('button.toggle').textContent = open ? '-' : '+';
  }
  function reveal(index){
    chips.forEach(c=>c.classList.remove('off')); filter.value = ''; shown = rows; pageSize = PAGE;
    const pos = rows.findIndex(r=>String(r[0])===String(index)); if (pos < 0) return;
    page = Math.floor(pos/pageSize); draw();
    const tr = document.getElementById('v-' + index); if (tr){ if (tr.querySelector('button.toggle')) toggle(tr,true); tr.scrollIntoView(); }
  }
  chips.forEach(c=>c.addEventListener('click',()=>{c.classList.toggle('off'); apply();}));
  filter.addEventListener('input', apply);
  document.getElementById('prev').addEventListener('click',()=>{if(page>0){page--; draw();}});
  document.getElementById('next').addEventListener('click',()=>{if((page+1)*pageSize<shown.length){page++; draw();}});
  function route(){
    // #expand opens every non-passing vector on one page (printing, headless checks); #v-N opens row N.
    const hash = decodeURIComponent(location.hash.slice(1));
    if (hash === 'expand'){
      shown = rows.filter(r=>r[3]!=='pass'); page = 0; pageSize = Math.max(1, shown.length); draw();
      body.querySelectorAll('tr.row').forEach(tr=>{ if (tr.querySelector('button.toggle')) toggle(tr,true); });
    } else if (hash.startsWith('v-')) reveal(hash.slice(2));
  }
  window.addEventListener('hashchange', route);
  draw(); route();
  document.body.dataset.ready = '1';
})();
)js";

// The diff page: rows are server-rendered (at most html_limit of them); details on demand.
constexpr std::string_view kDiffScript = R"js(
(function(){
  const details = JSON.parse(document.getElementById('details-data').textContent);
  function toggle(tr, open){
    const det = tr.nextElementSibling; if (open === undefined) open = det.hidden;
    if (open) renderDetails(det.querySelector('.detail'), details[tr.dataset.index]);
    det.hidden = !open; tr.querySelector('button.toggle').textContent = open ? '-' : '+';
  }
  const rows = Array.from(document.querySelectorAll('tr.row'));
  rows.forEach(tr=>tr.querySelector('button.toggle').addEventListener('click',()=>toggle(tr)));
  if (location.hash === '#expand') rows.forEach(tr=>toggle(tr,true));
  document.body.dataset.ready = '1';
})();
)js";

// The details of one vector (or diff row) for the embedded JSON.
}  // namespace

nlohmann::json HtmlVectorDetails(const VectorResult& vector, SaTable* sas) {
  nlohmann::json steps = nlohmann::json::array();
  for (const StepResult& step : vector.steps) {
    nlohmann::json differences = nlohmann::json::array();
    for (const auto& d : step.differences) {
      differences.push_back({{"field", d.field}, {"offset", d.offset}, {"expected", d.expected}, {"actual", d.actual}, {"consequence", d.consequence}});
    }
    nlohmann::json iv_bytes = nlohmann::json::array();
    for (const auto& [offset, length] : step.iv_bytes) iv_bytes.push_back({offset, length});
    nlohmann::json entry = {{"index", step.index}, {"op", step.op}, {"verdict", VerdictName(step.verdict)}, {"verdict_class", CssClass(step.verdict)},
                            {"diagnosis", step.diagnosis}, {"notes", step.notes},
                            {"cause", step.cause ? nlohmann::json(step.cause->id) : nlohmann::json(nullptr)},
                            {"rule", step.cause ? nlohmann::json(step.cause->rule) : nlohmann::json(nullptr)},
                            {"expected_status", step.expected_status ? nlohmann::json(StatusText(*step.expected_status)) : nlohmann::json(nullptr)},
                            {"actual_status", step.actual_status ? nlohmann::json(StatusText(*step.actual_status)) : nlohmann::json(nullptr)},
                            {"leaked", step.leaked}, {"leaked_plaintext", step.leaked_plaintext},
                            {"frames", {{"input", step.input_frame_number}, {"expected", step.expected_frame_number}, {"actual", step.actual_frame_number}}},
                            {"expected_frame", step.expected_frame ? nlohmann::json(ToHex(*step.expected_frame)) : nlohmann::json(nullptr)},
                            {"actual_frame", step.actual_frame ? nlohmann::json(ToHex(*step.actual_frame)) : nlohmann::json(nullptr)},
                            {"iv_bytes", std::move(iv_bytes)}, {"differences", std::move(differences)}};
    if (step.verdict != Verdict::kPass && (step.expected_frame || step.actual_frame)) entry["decoded"] = DecodeStep(vector, step, sas);
    steps.push_back(std::move(entry));
  }
  return {{"notes", vector.notes}, {"missing_caps", vector.missing_caps}, {"steps", std::move(steps)}};
}

namespace {

std::string PageHead(const std::string& title) {
  std::string html = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n";
  html += "<title>" + Escape(title) + "</title>\n";
  html += "<style>" + std::string(kStyle) + "</style></head>\n<body>\n";
  return html;
}

// Where a failure sits in the reading order: MUST failures, candidate errors, invalid vectors,
// SHOULD failures, not claimed, skipped, passed.
int Rank(const VectorResult& vector) {
  switch (vector.verdict) {
    case Verdict::kFail: return vector.must ? 0 : 3;
    case Verdict::kCandidateError: return 1;
    case Verdict::kInvalidVector: return 2;
    case Verdict::kNotClaimed: return 4;
    case Verdict::kSkipped: return 5;
    case Verdict::kPass: return 6;
  }
  return 6;
}

const char* RankName(int rank) {
  switch (rank) {
    case 0: return "MUST fail";
    case 1: return "candidate error";
    case 2: return "invalid vector";
    case 3: return "SHOULD fail";
  }
  return "";
}

}  // namespace

Status WriteHtmlReport(const RunResult& run, const std::string& path, const ReportOptions& options) {
  const RunSummary summary = options.summary != nullptr ? *options.summary : Summarize(run);
  std::string html;
  html.reserve(64 * 1024 + run.vectors.size() * 200);
  const std::string who = run.candidate.identity.empty() ? run.candidate.spec : run.candidate.identity;
  html += PageHead("sendpath report - " + who);
  html += "<h1>sendpath conformance report: " + Escape(who) + "</h1>\n";
  if (!run.complete) {
    html += "<div class=\"banner\" id=\"incomplete\">INCOMPLETE: " +
            Escape(run.incomplete_reason.empty() ? "the run was interrupted" : run.incomplete_reason) + "; vectors not reached are missing.</div>\n";
  }

  // ---- the first screen: verdict, claimed profile, failures by cause --------------------------
  const auto must_findings = static_cast<std::size_t>(std::ranges::count_if(run.run_findings, [](const RunFinding& finding) { return finding.severity == Severity::kMust; }));
  const bool passed = summary.must_failures == 0 && must_findings == 0 && run.load_errors.empty() && run.complete;
  std::string verdict = passed ? "PASS: every MUST vector passed" : "FAIL: " + std::to_string(summary.must_failures) + " MUST vector(s) failed";
  if (must_findings > 0) verdict += ", " + std::to_string(must_findings) + " MUST run-wide finding(s)";
  if (!run.load_errors.empty()) verdict += ", " + std::to_string(run.load_errors.size()) + " vector file(s) did not load";
  const auto count = [&](Verdict v) { return summary.by_verdict[static_cast<std::size_t>(v)]; };
  verdict += " (" + std::to_string(summary.total) + " vectors: " + std::to_string(count(Verdict::kPass)) + " passed";
  if (summary.should[static_cast<std::size_t>(Verdict::kFail)] > 0) {
    verdict += ", " + std::to_string(summary.should[static_cast<std::size_t>(Verdict::kFail)]) + " SHOULD not met";
  }
  if (count(Verdict::kNotClaimed) > 0) verdict += ", " + std::to_string(count(Verdict::kNotClaimed)) + " not claimed";
  if (count(Verdict::kCandidateError) > 0) verdict += ", " + std::to_string(count(Verdict::kCandidateError)) + " candidate errors";
  if (count(Verdict::kSkipped) > 0) verdict += ", " + std::to_string(count(Verdict::kSkipped)) + " skipped";
  verdict += ")";
  html += "<div class=\"banner " + std::string(passed ? "ok" : "bad") + "\" id=\"outcome\">" + Escape(verdict) + "</div>\n";

  html += "<div id=\"profile\"><div class=\"chips\"><b>Claimed profile</b> ";
  if (run.candidate.claimed_caps.empty()) html += "<span class=\"muted\">(none reported)</span>";
  for (const auto& cap : run.candidate.claimed_caps) html += "<span class=\"chip static\">" + Escape(cap) + "</span>";
  html += "</div><div class=\"muted\">" + Escape(run.candidate.spec) + " - " +
          std::string(run.candidate.picks_own_ivs ? "picks its own IVs: ciphertext judged by decryption, ICVs by verification."
                                                  : "took the injected IVs: frames compared byte for byte.") +
          "</div></div>\n";

  // Failures grouped by cause (reports/failure_groups.h), the group with the simplest vector first.
  html += "<h2>Failures by cause</h2>\n<div id=\"groups\">";
  const std::size_t invalid = summary.by_verdict[static_cast<std::size_t>(Verdict::kInvalidVector)];
  if (run.failure_groups.empty() && invalid == 0) {
    html += "<p class=\"muted\">No failures, candidate errors or invalid vectors.</p>";
  } else {
    std::map<std::string_view, std::size_t> index_of;  // vector id -> run index, for the links
    for (std::size_t i = 0; i < run.vectors.size(); ++i) index_of.emplace(run.vectors[i].id, i);
    constexpr std::size_t kGroupsShown = 40;
    html += "<table class=\"groups\"><tr><th>vectors</th><th>kind</th><th>cause</th><th>simplest vector</th></tr>\n";
    for (std::size_t g = 0; g < run.failure_groups.size() && g < kGroupsShown; ++g) {
      const FailureGroup& group = run.failure_groups[g];
      const auto found = index_of.find(group.simplest);
      if (found == index_of.end()) continue;
      const VectorResult& simplest = run.vectors[found->second];
      html += "<tr class=\"group\"><td class=\"n\">" + std::to_string(group.count) + "</td><td class=\"v " +
              CssClass(simplest.verdict) + "\">" + (simplest.verdict == Verdict::kFail ? (group.must > 0 ? "MUST fail" : "SHOULD fail") : RankName(Rank(simplest))) + "</td><td class=\"cause\" title=\"" +
              Escape(simplest.diagnosis) + "\">" + Escape(group.cause) + "</td><td class=\"id\"><a href=\"#v-" +
              std::to_string(found->second) + "\">" + Escape(simplest.id) + "</a></td></tr>\n";
    }
    if (invalid > 0) {
      html += "<tr class=\"group\"><td class=\"n\">" + std::to_string(invalid) +
              "</td><td class=\"v invalid-vector\">invalid vector</td><td class=\"cause\">the vector does not load or cannot be run as written "
              "(see its diagnosis)</td><td></td></tr>\n";
    }
    html += "</table>";
    if (run.failure_groups.size() > kGroupsShown) {
      html += "<p class=\"muted\">" + std::to_string(run.failure_groups.size() - kGroupsShown) + " further causes: see the vector table.</p>";
    }
  }
  html += "</div>\n";
  if (!run.run_findings.empty()) {
    html += "<h2>Run-wide findings</h2>\n<table id=\"run-findings\"><thead><tr><th>class</th><th>kind</th><th>finding</th></tr></thead><tbody>";
    for (const RunFinding& finding : run.run_findings) {
      html += std::string("<tr class=\"v ") + (finding.severity == Severity::kMust ? "fail" : "skipped") + "\"><td>" +
              SeverityName(finding.severity) + "</td><td>" + FindingKindName(finding.kind) + "</td><td>" +
              Escape(FindingText(finding)) + "</td></tr>";
    }
    html += "</tbody></table>\n";
  }
  if (!run.run_notes.empty() || !run.load_errors.empty()) {
    html += "<h2>Run notes</h2>\n<ul class=\"notes\" id=\"run-notes\">";
    for (const auto& error : run.load_errors) html += "<li class=\"v invalid-vector\">" + Escape(error) + "</li>";
    for (const auto& note : run.run_notes) html += "<li>" + Escape(note) + "</li>";
    html += "</ul>\n";
  }

  // ---- summary and provenance (folded) --------------------------------------------------------
  html += "<h2>Summary</h2>\n<table class=\"summary\" id=\"summary\"><tr><th>class</th>";
  for (std::size_t i = 0; i < 6; ++i) html += "<th>" + std::string(VerdictName(static_cast<Verdict>(i))) + "</th>";
  html += "<th>total</th></tr>\n";
  auto summary_row = [&](const char* name, const std::size_t* counts) {
    std::size_t total = 0;
    html += "<tr><td>" + std::string(name) + "</td>";
    for (std::size_t i = 0; i < 6; ++i) {
      total += counts[i];
      html += "<td class=\"n v " + CssClass(static_cast<Verdict>(i)) + "\">" + std::to_string(counts[i]) + "</td>";
    }
    html += "<td class=\"n\">" + std::to_string(total) + "</td></tr>\n";
  };
  summary_row("MUST", summary.must);
  summary_row("SHOULD", summary.should);
  summary_row("all", summary.by_verdict);
  html += "</table>\n";

  html += "<details class=\"fold\" id=\"provenance\"><summary>Provenance: command line, " + std::to_string(run.vector_files.size()) +
          " vector file(s) with SHA-256, captures</summary>\n<dl class=\"meta\">";
  auto meta = [&](const char* key, const std::string& value) { html += "<dt>" + std::string(key) + "</dt><dd>" + Escape(value) + "</dd>"; };
  meta("candidate", run.candidate.spec);
  meta("identity", run.candidate.identity);
  meta("sendpath", run.sendpath_version);
  meta("command line", run.command_line);
  meta("started", run.started_utc);
  meta("finished", run.finished_utc);
  for (const auto& file : run.vector_files) meta("vector file", file.path + "  sha256 " + file.sha256);
  meta("captures", std::string(kInputCapture) + ", " + kExpectedCapture + ", " + kActualCapture + " (pcapng: each frame's comment names its vector, step and verdict), " +
                       kPcapIndexFile + ", " + kEspSaFile);
  html += "</dl>\n<div>Open a capture with ESP decryption and ICV checks (run in this report's folder; <code>wireshark</code> takes the same options):</div>";
  html += "<code class=\"cmd\" id=\"wireshark-command\">" + Escape(WiresharkCommand(".", kExpectedCapture, RunUsesUdpEsp(run))) + "</code>\n</details>\n";

  // ---- the vector table -----------------------------------------------------------------------
  html += "<h2>Vectors</h2>\n<input id=\"filter\" type=\"search\" placeholder=\"filter by id, title or diagnosis\" aria-label=\"filter\">\n<div class=\"chips\">";
  for (std::size_t i = 0; i < 6; ++i) {
    const auto v = static_cast<Verdict>(i);
    html += "<span class=\"chip v " + CssClass(v) + "\" data-kind=\"verdict\" data-value=\"" + CssClass(v) + "\">" + VerdictName(v) + " (" +
            std::to_string(summary.by_verdict[i]) + ")</span>";
  }
  html += "<span class=\"chip\" data-kind=\"class\" data-value=\"MUST\">MUST</span><span class=\"chip\" data-kind=\"class\" data-value=\"SHOULD\">SHOULD</span>";
  html += "<span class=\"muted\" id=\"shown\"></span></div>\n";
  html += "<div class=\"pager\"><button id=\"prev\" type=\"button\">previous</button><span id=\"page\" class=\"muted\"></span><button id=\"next\" type=\"button\">next</button></div>\n";
  if (options.unlisted_passes > 0) {
    html += "<p class=\"muted\" id=\"unlisted\">" + std::to_string(options.unlisted_passes) +
            " passing vectors are counted but not listed here: results.json lists every vector, and the captures hold their frames.</p>\n";
  }
  html += "<noscript><p>The vector table is drawn by the page's script; results.json holds the same rows.</p></noscript>\n";
  html += "<table id=\"vectors\"><colgroup><col style=\"width:34px\"><col style=\"width:24%\"><col style=\"width:18%\"><col style=\"width:100px\">"
          "<col style=\"width:64px\"><col><col style=\"width:160px\"></colgroup>"
          "<thead><tr><th></th><th>vector</th><th>title</th><th>verdict</th><th>class</th><th>diagnosis</th><th>frames in/exp/act</th></tr></thead>"
          "<tbody id=\"vector-rows\"></tbody></table>\n";

  // Rows in reading order (failures first, the simplest first within each group); ids keep the run index.
  std::vector<std::size_t> order(run.vectors.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int rank_a = Rank(run.vectors[a]), rank_b = Rank(run.vectors[b]);
    return rank_a != rank_b ? rank_a < rank_b : run.vectors[a].rank < run.vectors[b].rank;  // then simplest first
  });
  nlohmann::json rows = nlohmann::json::array();
  nlohmann::json details = nlohmann::json::object();
  for (const std::size_t index : order) {
    const VectorResult& vector = run.vectors[index];
    const bool has_details = vector.verdict != Verdict::kPass;
    std::string frames;
    for (const StepResult& step : vector.steps) {
      if (step.input_frame_number == 0 && step.expected_frame_number == 0 && step.actual_frame_number == 0) continue;
      if (!frames.empty()) frames += ", ";
      auto number = [](std::size_t n) { return n == 0 ? std::string("-") : "#" + std::to_string(n); };
      frames += number(step.input_frame_number) + " / " + number(step.expected_frame_number) + " / " + number(step.actual_frame_number);
    }
    rows.push_back({index, vector.id, vector.title, CssClass(vector.verdict), VerdictName(vector.verdict), vector.must ? "MUST" : "SHOULD",
                    vector.diagnosis, frames, has_details ? 1 : 0});
    if (!has_details) continue;
    std::optional<nlohmann::json> known = options.details_for_vector ? options.details_for_vector(vector) : std::nullopt;
    details[std::to_string(index)] =
        known ? std::move(*known) : HtmlVectorDetails(vector, options.sas_for_vector ? options.sas_for_vector(vector) : nullptr);
  }
  const nlohmann::json page = {{"captures", {{"input", kInputCapture}, {"expected", kExpectedCapture}, {"actual", kActualCapture}}}};
  html += "<script type=\"application/json\" id=\"page-data\">" + ScriptSafeJson(page) + "</script>\n";
  html += "<script type=\"application/json\" id=\"rows-data\">" + ScriptSafeJson(rows) + "</script>\n";
  html += "<script type=\"application/json\" id=\"details-data\">" + ScriptSafeJson(details) + "</script>\n";
  html += "<script>" + std::string(kDetailScript) + std::string(kRunScript) + "</script>\n</body></html>\n";
  return WriteFileAtomically(path, html);
}

Status WriteDiffHtml(const DiffHtmlPage& page, const std::string& path, SaTable* sas) {
  std::string html = PageHead("sendpath diff - " + page.expected_path + " vs " + page.actual_path);
  html += "<h1>sendpath diff: two captures</h1>\n";
  const bool same = page.differing == 0 && page.missing == 0 && page.extra == 0;
  std::string outcome = same ? "Equivalent: " + std::to_string(page.compared) + " frame pairs, no difference"
                             : std::to_string(page.differing) + " of " + std::to_string(page.compared) + " frame pairs differ, " +
                                   std::to_string(page.missing) + " frame(s) only in the expected capture (missing), " +
                                   std::to_string(page.extra) + " only in the actual capture (extra)";
  if (!page.complete) outcome += "; a malformed record stopped the comparison";
  html += "<div class=\"banner " + std::string(same && page.complete ? "ok" : "bad") + "\" id=\"outcome\">" + Escape(outcome) + "</div>\n";
  html += "<table class=\"summary\" id=\"captures\"><tr><th></th><th>capture</th><th>link type</th><th>frames</th></tr>\n";
  html += "<tr><td>expected</td><td class=\"mono\">" + Escape(page.expected_path) + "</td><td>" + Escape(page.expected_link) + "</td><td class=\"n\">" +
          std::to_string(page.expected_frames) + "</td></tr>\n";
  html += "<tr><td>actual</td><td class=\"mono\">" + Escape(page.actual_path) + "</td><td>" + Escape(page.actual_link) + "</td><td class=\"n\">" +
          std::to_string(page.actual_frames) + "</td></tr>\n</table>\n";
  if (!page.notes.empty()) {
    html += "<ul class=\"notes\" id=\"notes\">";
    for (const auto& note : page.notes) html += "<li>" + Escape(note) + "</li>";
    html += "</ul>\n";
  }
  html += "<div class=\"muted\">" + Escape(page.command_line) + "</div>\n";
  html += "<h2>Differences</h2>\n";
  if (page.rows.empty()) html += "<p class=\"muted\">None.</p>\n";
  html += "<table id=\"differences\"><colgroup><col style=\"width:34px\"><col style=\"width:90px\"><col style=\"width:30%\"><col></colgroup>"
          "<thead><tr><th></th><th>kind</th><th>where</th><th>first cause</th></tr></thead><tbody>\n";
  nlohmann::json details = nlohmann::json::object();
  for (std::size_t i = 0; i < page.rows.size(); ++i) {
    const DiffHtmlRow& row = page.rows[i];
    html += "<tr class=\"row\" data-index=\"" + std::to_string(i) + "\"><td><button class=\"toggle\" aria-label=\"details\">+</button></td><td class=\"v fail\">" +
            Escape(row.kind) + "</td><td class=\"mono\">" + Escape(row.frame.id) + "</td><td>" + Escape(row.frame.title) + "</td></tr>\n";
    html += "<tr class=\"details\" hidden><td colspan=\"4\"><div class=\"detail\"></div></td></tr>\n";
    details[std::to_string(i)] = HtmlVectorDetails(row.frame, sas);
  }
  html += "</tbody></table>\n";
  const nlohmann::json data = {{"captures", {{"expected", page.expected_path}, {"actual", page.actual_path}}}};
  html += "<script type=\"application/json\" id=\"page-data\">" + ScriptSafeJson(data) + "</script>\n";
  html += "<script type=\"application/json\" id=\"details-data\">" + ScriptSafeJson(details) + "</script>\n";
  html += "<script>" + std::string(kDetailScript) + std::string(kDiffScript) + "</script>\n</body></html>\n";
  return WriteFileAtomically(path, html);
}

}  // namespace sendpath::report
