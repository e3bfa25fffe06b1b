#include "mixq/tokenizer/pair_merge.h"

#include <queue>

namespace mixq::tok {
namespace {

struct Node {
  MergeSymbol symbol;
  int prev = -1;
  int next = -1;
  bool alive = true;
  uint32_t version = 0;  // bumped on every merge, so queued pairs that saw an older node are stale
};

struct Agenda {
  double priority;
  int left;   // index of the left node; nodes keep their original order, so smaller = leftmost
  int right;
  uint32_t left_version, right_version;
  int32_t id;
};

struct AgendaOrder {
  bool operator()(const Agenda& a, const Agenda& b) const {
    if (a.priority != b.priority) return a.priority < b.priority;
    return a.left > b.left;
  }
};

}  // namespace

void MergePairs(std::vector<MergeSymbol>* symbols, const PairMergeFn& pair_fn) {
  if (symbols->size() < 2) return;
  std::vector<Node> nodes(symbols->size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    nodes[i].symbol = std::move((*symbols)[i]);
    nodes[i].prev = static_cast<int>(i) - 1;
    nodes[i].next = i + 1 < nodes.size() ? static_cast<int>(i) + 1 : -1;
  }
  std::priority_queue<Agenda, std::vector<Agenda>, AgendaOrder> agenda;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    std::optional<MergeCandidate> merge = pair_fn(nodes[left].symbol, nodes[right].symbol);
    if (!merge) return;
    agenda.push({merge->priority, left, right, nodes[left].version, nodes[right].version,
                 merge->id});
  };
  for (size_t i = 0; i + 1 < nodes.size(); ++i) consider(static_cast<int>(i), static_cast<int>(i) + 1);

  while (!agenda.empty()) {
    Agenda top = agenda.top();
    agenda.pop();
    Node& left = nodes[top.left];
    Node& right = nodes[top.right];
    // Stale entries: a side was merged away, or changed since the pair was queued.
    if (!left.alive || !right.alive || left.next != top.right || left.version != top.left_version ||
        right.version != top.right_version)
      continue;
    left.symbol.text += right.symbol.text;
    left.symbol.id = top.id;
    ++left.version;
    right.alive = false;
    left.next = right.next;
    if (right.next >= 0) nodes[right.next].prev = top.left;
    consider(left.prev, top.left);
    consider(top.left, left.next);
  }

  symbols->clear();
  for (int i = 0; i >= 0; i = nodes[i].next) symbols->push_back(std::move(nodes[i].symbol));
}

InnerPieceIndex::InnerPieceIndex(const std::vector<std::string>& pieces, size_t max_len) : max_len_(max_len) {
  for (const std::string& piece : pieces) {
    const std::string_view p = piece;
    for (size_t begin = 0; begin < p.size(); ++begin)
      for (size_t len = 1; len <= max_len && begin + len <= p.size() && len < p.size(); ++len)
        inner_.emplace(p.substr(begin, len));
  }
}

void MergePairsBetweenBarriers(std::vector<MergeSymbol>* symbols, const std::function<bool(const MergeSymbol&)>& is_barrier,
                               const PairMergeFn& pair_fn) {
  std::vector<MergeSymbol> out, run;
  out.reserve(symbols->size());
  auto flush = [&] {
    MergePairs(&run, pair_fn);
    for (auto& s : run) out.push_back(std::move(s));
    run.clear();
  };
  for (auto& symbol : *symbols) {
    if (is_barrier(symbol)) {
      flush();
      out.push_back(std::move(symbol));
    } else {
      run.push_back(std::move(symbol));
    }
  }
  flush();
  symbols->swap(out);
}

}  // namespace mixq::tok
