// report.html: one self-contained file (inline CSS and JS, nothing loaded from the network).
// Vector rows are plain HTML so the page reads without JS; the details of every non-passing
// vector (byte map, decoded fields, hex diff) live in an embedded JSON block and are rendered
// when a row is opened, so pages with thousands of vectors stay fast.
#include "reports/atomic_file.h"
#include "reports/receive_check.h"
#include "reports/writers.h"

#include <algorithm>
#include <cctype>
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
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0 auto;padding:16px 24px;max-width:1500px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:17px;margin:22px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px;font-weight:600;margin:8px 0}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}
.summary td.n{text-align:right;font-variant-numeric:tabular-nums}
.v{font-weight:600;white-space:nowrap}.v.pass{color:var(--pass)}.v.fail{color:var(--fail)}.v.not-claimed{color:var(--skip)}
.v.candidate-error{color:var(--err)}.v.invalid-vector{color:var(--warn)}.v.skipped{color:var(--skip)}
.chips{display:flex;flex-wrap:wrap;gap:6px;margin:8px 0}.chip{border:1px solid var(--line);border-radius:14px;padding:2px 10px;background:#f6f8fa;cursor:pointer;user-select:none}
.chip.off{opacity:.45;text-decoration:line-through}#filter{width:100%;max-width:520px;padding:6px 8px;border:1px solid var(--line);border-radius:6px}
tr.row td.id{font-family:ui-monospace,monospace;font-size:12.5px;word-break:break-all}td.diag{max-width:560px}
button.toggle{border:0;background:none;cursor:pointer;font-size:13px;width:22px}tr.details>td{background:#fbfcfd;padding:10px 14px}
.step{border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:8px 0;background:#fff}.step h4{margin:0 0 6px;font-size:14px}
.mono,.bytemap,.hexdiff{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px}
.bytemap{display:grid;grid-template-columns:repeat(16,2.3em) ;gap:1px;margin:6px 0}.bytemap span{text-align:center;border-radius:2px;padding:1px 0}
.bytemap span.diff{outline:2px solid var(--fail);font-weight:700}.bytemap span.masked{text-decoration:underline dotted}
.r-link{background:#e6e6e6}.r-ip{background:#cfe2ff}.r-ip-option{background:#9ec5fe}.r-ipsec{background:#ffe69c}.r-iv{background:#ffc078}
.r-ciphertext{background:#d0bfff}.r-payload{background:#e9d8fd}.r-padding{background:#c3fae8}.r-trailer{background:#96f2d7}.r-icv{background:#ffa8a8}
.r-l4{background:#d3f9d8}.r-data{background:#f1f3f5}.r-malformed{background:#ff6b6b;color:#fff}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}.legend span{padding:1px 6px;border-radius:3px;font-size:12px}
table.fields td,table.fields th{font-size:12.5px;padding:2px 6px}table.fields tr.differs td{background:#ffebe9}table.fields td.val{font-family:ui-monospace,monospace;word-break:break-all}
table.hexdiff td{padding:0 6px;border:0;white-space:pre}table.hexdiff b{background:#ffcecb;color:#a40e26}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:12px}.muted{color:var(--muted)}ul.notes{margin:4px 0 4px 18px;padding:0}
@media print{.chips,#filter,button.toggle{display:none}}
)css";

constexpr std::string_view kScript = R"js(
(function(){
  const data = JSON.parse(document.getElementById('details-data').textContent);
  const rows = Array.from(document.querySelectorAll('tr.row'));
  const chips = Array.from(document.querySelectorAll('.chip'));
  const filter = document.getElementById('filter');
  function el(tag, cls, text){const e=document.createElement(tag); if(cls) e.className=cls; if(text!==undefined&&text!==null) e.textContent=String(text); return e;}
  function apply(){
    const q = filter.value.trim().toLowerCase();
    const offV = new Set(chips.filter(c=>c.dataset.kind==='verdict'&&c.classList.contains('off')).map(c=>c.dataset.value));
    const offC = new Set(chips.filter(c=>c.dataset.kind==='class'&&c.classList.contains('off')).map(c=>c.dataset.value));
    let shown = 0;
    for (const r of rows){
      const ok = !offV.has(r.dataset.verdict) && !offC.has(r.dataset.class) && (!q || r.dataset.search.includes(q));
      r.hidden = !ok; const d = r.nextElementSibling; if (d && d.classList.contains('details') && !ok) d.hidden = true;
      if (ok) shown++;
    }
    document.getElementById('shown').textContent = shown + ' of ' + rows.length + ' vectors shown';
  }
  chips.forEach(c=>c.addEventListener('click',()=>{c.classList.toggle('off'); apply();}));
  filter.addEventListener('input', apply);
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
      const tr = el('tr', f.differs?'differs':''); tr.appendChild(el('td','mono',f.name + (f.decrypted?' 🔓':'')));
      tr.appendChild(el('td','',f.offset)); tr.appendChild(el('td','',f.length));
      tr.appendChild(el('td','val',f.expected===null?'—':f.expected)); tr.appendChild(el('td','val',f.actual===undefined?'':(f.actual===null?'—':f.actual)));
      t.appendChild(tr);
    }
    return t;
  }
  function renderStep(s){
    const box = el('div','step');
    const h = el('h4'); h.appendChild(el('span','','Step ' + s.index + ' (' + s.op + '): ')); h.appendChild(el('span','v '+s.verdict_class, s.verdict)); box.appendChild(h);
    if (s.diagnosis) box.appendChild(el('div','diagnosis', s.diagnosis));
    if (s.notes && s.notes.length){const ul=el('ul','notes'); s.notes.forEach(n=>ul.appendChild(el('li','',n))); box.appendChild(ul);}
    const st = []; if (s.expected_status) st.push('expected status ' + s.expected_status); if (s.actual_status) st.push('actual status ' + s.actual_status);
    if (s.leaked) st.push(s.leaked_plaintext ? 'LEAKED a frame carrying plaintext' : 'leaked a frame on a refused send');
    if (st.length) box.appendChild(el('div','muted',st.join(' · ')));
    const fr = s.frames; box.appendChild(el('div','muted','pcap frames: input.pcap #' + (fr.input||'—') + ' · expected.pcap #' + (fr.expected||'—') + ' · actual.pcap #' + (fr.actual||'—')));
    const e = hexBytes(s.expected_frame), a = hexBytes(s.actual_frame);
    const dec = s.decoded || {};
    if (dec.notes) dec.notes.forEach(n=>box.appendChild(el('div','muted',n)));
    if (dec.receive_check) box.appendChild(el('div','muted','receive check of the actual frame: ' + dec.receive_check.status + (dec.receive_check.reason?' — ' + dec.receive_check.reason:'')));
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
    if (dec.fields && dec.fields.length){const d=el('details'); d.open=true; d.appendChild(el('summary','','decoded fields, expected vs actual')); d.appendChild(fieldTable(dec.fields)); box.appendChild(d);}
    if (e.length && a.length){const d=el('details'); d.appendChild(el('summary','','hex, side by side')); d.appendChild(hexDiff(e,a)); box.appendChild(d);}
    return box;
  }
  function render(row){
    const det = row.nextElementSibling; if (!det || !det.classList.contains('details')) return;
    const host = det.querySelector('.detail');
    if (!host.dataset.rendered){
      const v = data[row.dataset.index];
      if (v){
        if (v.notes && v.notes.length){const ul=el('ul','notes'); v.notes.forEach(n=>ul.appendChild(el('li','',n))); host.appendChild(ul);}
        if (v.missing_caps && v.missing_caps.length) host.appendChild(el('div','muted','not claimed: ' + v.missing_caps.join(', ')));
        v.steps.forEach(s=>host.appendChild(renderStep(s)));
      }
      host.dataset.rendered = '1';
    }
  }
  function toggle(row, open){
    const det = row.nextElementSibling; if (!det || !det.classList.contains('details')) return;
    if (open === undefined) open = det.hidden;
    if (open) render(row);
    det.hidden = !open; row.querySelector('button.toggle').textContent = open ? '▾' : '▸';
  }
  rows.forEach(r=>{const b=r.querySelector('button.toggle'); if (b) b.addEventListener('click',()=>toggle(r));});
  // #expand opens every failing vector (printing, headless checks); #v-N opens one.
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash === 'expand') rows.filter(r=>r.dataset.verdict!=='pass' && r.querySelector('button.toggle')).forEach(r=>toggle(r,true));
  else if (hash.startsWith('v-')){const r=document.getElementById(hash); if (r){toggle(r,true); r.scrollIntoView();}}
  apply();
  document.body.dataset.ready = '1';
})();
)js";

}  // namespace

Status WriteHtmlReport(const RunResult& run, const std::string& path, const ReportOptions& options) {
  const RunSummary summary = Summarize(run);
  std::string html;
  html.reserve(64 * 1024 + run.vectors.size() * 400);
  html += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n";
  html += "<title>sendpath report — " + Escape(run.candidate.identity.empty() ? run.candidate.spec : run.candidate.identity) + "</title>\n";
  html += "<style>" + std::string(kStyle) + "</style></head>\n<body>\n";
  html += "<h1>sendpath conformance report</h1>\n";
  if (!run.complete) html += "<div class=\"banner\" id=\"incomplete\">INCOMPLETE: the run was interrupted; vectors not reached are missing.</div>\n";
  const bool passed = summary.must_failures == 0 && run.load_errors.empty() && run.complete;
  html += "<div class=\"banner\" id=\"outcome\" style=\"background:" + std::string(passed ? "#dafbe1;border-color:#1a7f37" : "#ffebe9;border-color:#cf222e") +
          "\">" + (passed ? "Every MUST vector passed." : std::to_string(summary.must_failures) + " MUST vector(s) failed" +
                                                              (run.load_errors.empty() ? "" : ", " + std::to_string(run.load_errors.size()) + " vector file(s) did not load") + ".") +
          "</div>\n";
  html += "<dl class=\"meta\">";
  auto meta = [&](const char* key, const std::string& value) { html += "<dt>" + std::string(key) + "</dt><dd>" + Escape(value) + "</dd>"; };
  meta("candidate", run.candidate.spec);
  meta("identity", run.candidate.identity);
  meta("sendpath", run.sendpath_version);
  meta("command line", run.command_line);
  meta("started", run.started_utc);
  meta("finished", run.finished_utc);
  for (const auto& file : run.vector_files) meta("vector file", file.path + "  sha256 " + file.sha256);
  html += "</dl>\n";

  // Summary by verdict and class.
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

  html += "<h2>Claimed capability profile</h2>\n<div id=\"profile\">";
  if (run.candidate.claimed_caps.empty()) html += "<span class=\"muted\">(none reported)</span>";
  for (const auto& cap : run.candidate.claimed_caps) html += "<span class=\"chip\" style=\"cursor:default\">" + Escape(cap) + "</span> ";
  html += "<div class=\"muted\">" + std::string(run.candidate.picks_own_ivs ? "The candidate picks its own IVs: ciphertext judged by decryption, ICVs by verification." : "The candidate took the injected IVs: frames compared byte for byte.") + "</div></div>\n";
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

  html += "<h2>Vectors</h2>\n<input id=\"filter\" type=\"search\" placeholder=\"filter by id, title or diagnosis\" aria-label=\"filter\">\n<div class=\"chips\">";
  for (std::size_t i = 0; i < 6; ++i) {
    const auto verdict = static_cast<Verdict>(i);
    html += "<span class=\"chip v " + CssClass(verdict) + "\" data-kind=\"verdict\" data-value=\"" + CssClass(verdict) + "\">" +
            VerdictName(verdict) + " (" + std::to_string(summary.by_verdict[i]) + ")</span>";
  }
  html += "<span class=\"chip\" data-kind=\"class\" data-value=\"MUST\">MUST</span><span class=\"chip\" data-kind=\"class\" data-value=\"SHOULD\">SHOULD</span>";
  html += "<span class=\"muted\" id=\"shown\"></span></div>\n";
  html += "<table id=\"vectors\"><thead><tr><th></th><th>vector</th><th>title</th><th>verdict</th><th>class</th><th>diagnosis</th><th>pcap frames (in / exp / act)</th></tr></thead><tbody>\n";

  // What a reviewer has to read comes first: MUST failures, candidate errors, invalid vectors,
  // SHOULD failures, then not claimed, skipped and passed; run order within each group. Rows
  // keep their run index (ids, details), so only the order on the page changes.
  const auto rank = [](const VectorResult& vector) {
    switch (vector.verdict) {
      case Verdict::kFail: return vector.must ? 0 : 3;
      case Verdict::kCandidateError: return 1;
      case Verdict::kInvalidVector: return 2;
      case Verdict::kNotClaimed: return 4;
      case Verdict::kSkipped: return 5;
      case Verdict::kPass: return 6;
    }
    return 6;
  };
  std::vector<std::size_t> order(run.vectors.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return rank(run.vectors[a]) < rank(run.vectors[b]); });

  nlohmann::json details = nlohmann::json::object();
  for (const std::size_t index : order) {
    const VectorResult& vector = run.vectors[index];
    const bool has_details = vector.verdict != Verdict::kPass;
    std::string frames;
    for (const StepResult& step : vector.steps) {
      if (step.input_frame_number == 0 && step.expected_frame_number == 0 && step.actual_frame_number == 0) continue;
      if (!frames.empty()) frames += ", ";
      auto number = [](std::size_t n) { return n == 0 ? std::string("—") : "#" + std::to_string(n); };
      frames += number(step.input_frame_number) + " / " + number(step.expected_frame_number) + " / " + number(step.actual_frame_number);
    }
    std::string search = vector.id + " " + vector.title + " " + vector.diagnosis;
    for (char& c : search) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    html += "<tr class=\"row\" id=\"v-" + std::to_string(index) + "\" data-index=\"" + std::to_string(index) + "\" data-verdict=\"" +
            CssClass(vector.verdict) + "\" data-class=\"" + (vector.must ? "MUST" : "SHOULD") + "\" data-search=\"" + Escape(search) + "\">";
    html += "<td>" + std::string(has_details ? "<button class=\"toggle\" aria-label=\"details\">▸</button>" : "") + "</td>";
    html += "<td class=\"id\">" + Escape(vector.id) + "</td><td>" + Escape(vector.title) + "</td>";
    html += "<td class=\"v " + CssClass(vector.verdict) + "\">" + VerdictName(vector.verdict) + "</td><td>" + (vector.must ? "MUST" : "SHOULD") + "</td>";
    html += "<td class=\"diag\">" + Escape(vector.diagnosis) + "</td><td class=\"mono\">" + Escape(frames) + "</td></tr>\n";
    if (!has_details) continue;
    html += "<tr class=\"details\" hidden><td colspan=\"7\"><div class=\"detail\"></div></td></tr>\n";
    SaTable* sas = options.sas_for_vector ? options.sas_for_vector(vector) : nullptr;
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
    details[std::to_string(index)] = {{"notes", vector.notes}, {"missing_caps", vector.missing_caps}, {"steps", std::move(steps)}};
  }
  html += "</tbody></table>\n";
  html += "<script type=\"application/json\" id=\"details-data\">" + ScriptSafeJson(details) + "</script>\n";
  html += "<script>" + std::string(kScript) + "</script>\n</body></html>\n";
  return WriteFileAtomically(path, html);
}

}  // namespace sendpath::report
