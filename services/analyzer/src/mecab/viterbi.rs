//! Lattice construction (MeCab's `Tokenizer::lookup`) and the Viterbi
//! search (`viterbi.cpp`), kept node-for-node identical to MeCab 0.996 so
//! that ties break the same way: nodes are created in MeCab's order and the
//! nodes ending at a position are scanned most-recently-connected first.

use super::files::{CharInfo, Token};
use super::{Dictionary, Morpheme};

const NIL: u32 = u32::MAX;
/// MeCab's `DEFAULT_MAX_GROUPING_SIZE` (mecab-ko-dic's dicrc sets none).
const MAX_GROUPING_SIZE: u32 = 24;
/// Texts longer than this are analysed in pieces (cut at whitespace).
pub(super) const SEGMENT_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Node {
    start: u32,
    end: u32,
    /// Index into `sys` (or `unk` when `unknown`).
    token: u32,
    lc: u16,
    rc: u16,
    unknown: bool,
    /// Word cost plus the left-space penalty.
    extra: i32,
    /// Best path cost from BOS through this node.
    cost: i64,
    prev: u32,
    /// Next node ending at the same position.
    enext: u32,
}

/// What the lookup needs to know about the character starting at a byte.
#[derive(Debug, Clone, Copy, Default)]
struct CharAt {
    info: CharInfo,
    len: u32,
    /// End of the run of characters from here on in which each shares a
    /// category with the one before it (MeCab's `seekToOtherType`).
    run_end: u32,
    /// Characters in that run, this one included.
    run_chars: u32,
}

/// Buffers reused across the segments of one `tokenize` call.
#[derive(Debug, Default)]
pub(super) struct Lattice {
    nodes: Vec<Node>,
    end_head: Vec<u32>,
    chars: Vec<CharAt>,
    left: Vec<(u16, i64, u32)>,
    path: Vec<u32>,
}

impl Lattice {
    /// Fills `left` with (right context id, cost, node) of every node that
    /// ends at `pos`: the candidates a node starting there connects to.
    fn gather_left(&mut self, pos: usize) {
        self.left.clear();
        let mut l = self.end_head[pos];
        while l != NIL {
            let n = &self.nodes[l as usize];
            self.left.push((n.rc, n.cost, l));
            l = n.enext;
        }
    }
}

/// Where to cut `text` for the next lattice: nowhere when it fits in
/// [`SEGMENT_BYTES`]; else at the start of a whitespace run in the last
/// three quarters of that window, preferring a paragraph end (a line break
/// after `.`/`?`/`!`/`:`, or a blank line), then a sentence end, then any
/// line break, then any whitespace; failing all, at a character boundary.
/// The whitespace starts the next piece, so that its first morpheme still
/// pays the left-space penalty as it would in one lattice.
pub(super) fn segment_end(text: &str) -> usize {
    if text.len() <= SEGMENT_BYTES {
        return text.len();
    }
    let bytes = text.as_bytes();
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let mut best = [None; 4];
    for i in (SEGMENT_BYTES / 4..SEGMENT_BYTES).rev() {
        if !is_space(&bytes[i]) || is_space(&bytes[i - 1]) {
            continue;
        }
        let breaks = bytes[i..]
            .iter()
            .take_while(|b| is_space(b))
            .filter(|&&b| b == b'\n')
            .count();
        let sentence = matches!(bytes[i - 1], b'.' | b'?' | b'!');
        let tier = match breaks {
            2.. => 0,
            1 if sentence || bytes[i - 1] == b':' => 0,
            _ if sentence => 1,
            1 => 2,
            _ => 3,
        };
        if best[tier].is_none() {
            best[tier] = Some(i);
            if tier == 0 {
                break;
            }
        }
    }
    if let Some(&cut) = best.iter().flatten().next() {
        return cut;
    }
    let mut cut = SEGMENT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

impl Dictionary {
    /// Runs one lattice over `seg` (which starts at byte `base` of the
    /// caller's text) and appends the best path to `out`.
    pub(super) fn analyze<'d>(
        &'d self,
        seg: &str,
        base: usize,
        lat: &mut Lattice,
        out: &mut Vec<Morpheme<'d>>,
    ) {
        let len = seg.len();
        self.scan_chars(seg, lat);
        lat.nodes.clear();
        lat.end_head.clear();
        lat.end_head.resize(len + 1, NIL);
        lat.nodes.push(Node {
            start: 0,
            end: 0,
            token: 0,
            lc: 0,
            rc: 0,
            unknown: false,
            extra: 0,
            cost: 0,
            prev: NIL,
            enext: NIL,
        });
        lat.end_head[0] = 0;

        for pos in 0..len {
            if lat.end_head[pos] == NIL {
                continue;
            }
            let first = lat.nodes.len();
            self.lookup(seg, pos, lat);
            if lat.nodes.len() == first {
                continue;
            }
            lat.gather_left(pos);
            // MeCab connects its `bnext` list: newest node first.
            for i in (first..lat.nodes.len()).rev() {
                let (best, prev) = self.best_left(&lat.left, lat.nodes[i].lc);
                let node = &mut lat.nodes[i];
                node.cost = best + i64::from(node.extra);
                node.prev = prev;
                let end = node.end as usize;
                node.enext = lat.end_head[end];
                lat.end_head[end] = i as u32;
            }
        }

        // EOS attaches to the last position where something ends (trailing
        // whitespace is never covered).
        let Some(last) = (1..=len).rev().find(|&p| lat.end_head[p] != NIL) else {
            return;
        };
        lat.gather_left(last);
        let (_, mut at) = self.best_left(&lat.left, 0);
        lat.path.clear();
        while at != 0 && at != NIL {
            lat.path.push(at);
            at = lat.nodes[at as usize].prev;
        }
        out.extend(lat.path.iter().rev().map(|&i| {
            let n = &lat.nodes[i as usize];
            let lexicon = if n.unknown { &self.unk } else { &self.sys };
            let feature = lexicon
                .token(n.token as usize)
                .map_or("", |t| lexicon.feature(t.feature));
            Morpheme {
                start: base + n.start as usize,
                end: base + n.end as usize,
                feature,
                unknown: n.unknown,
            }
        }));
    }

    /// The cheapest `(cost + connection)` among `left` for a node with left
    /// context `lc`; the first one wins a tie, as in MeCab.
    #[inline]
    fn best_left(&self, left: &[(u16, i64, u32)], lc: u16) -> (i64, u32) {
        let row = self.matrix.row(lc);
        let mut best = i64::MAX;
        let mut best_node = NIL;
        for &(rc, cost, node) in left {
            let c = cost + i64::from(row.get(usize::from(rc)).copied().unwrap_or(0));
            if c < best {
                best = c;
                best_node = node;
            }
        }
        (best, best_node)
    }

    /// Character categories and same-category runs for every character
    /// start of `seg`.
    fn scan_chars(&self, seg: &str, lat: &mut Lattice) {
        let len = seg.len();
        lat.chars.clear();
        lat.chars.resize(len + 1, CharAt::default());
        for (i, c) in seg.char_indices() {
            lat.chars[i].info = self.chars.info(c);
            lat.chars[i].len = c.len_utf8() as u32;
        }
        let mut next = len;
        for (i, _) in seg.char_indices().rev() {
            let (run_end, run_chars) = if next == len {
                (len as u32, 1)
            } else if lat.chars[i].info.types() & lat.chars[next].info.types() != 0 {
                (lat.chars[next].run_end, lat.chars[next].run_chars + 1)
            } else {
                (next as u32, 1)
            };
            lat.chars[i].run_end = run_end;
            lat.chars[i].run_chars = run_chars;
            next = i;
        }
    }

    /// MeCab's `Tokenizer::lookup`: appends the nodes starting at `pos`
    /// (after any whitespace) in MeCab's creation order.
    fn lookup(&self, seg: &str, pos: usize, lat: &mut Lattice) {
        let bytes = seg.as_bytes();
        let len = bytes.len();
        let mut seek = self.space.types();
        let mut begin = pos;
        while begin < len {
            let t = lat.chars[begin].info.types();
            if seek & t == 0 {
                break;
            }
            seek = t;
            begin += lat.chars[begin].len as usize;
        }
        if begin >= len {
            return;
        }
        let spaced = begin != pos;
        let first = lat.nodes.len();
        let here = lat.chars[begin];
        let cinfo = here.info;

        self.sys
            .common_prefix_search(&bytes[begin..], |value, key_len| {
                let end = begin + key_len;
                if key_len == 0 || !seg.is_char_boundary(end) {
                    return;
                }
                let (from, count) = (value >> 8, value & 0xff);
                for t in from..from + count {
                    if let Some(token) = self.sys.token(t as usize) {
                        lat.nodes
                            .push(self.node(begin, end, t, token, false, spaced));
                    }
                }
            });
        if lat.nodes.len() > first && !cinfo.invoke() {
            return;
        }

        let mut end = begin + here.len as usize;
        let mut group_end = usize::MAX;
        if cinfo.group() {
            if here.run_chars - 1 <= MAX_GROUPING_SIZE {
                self.add_unknown(lat, cinfo, begin, here.run_end as usize, spaced);
            }
            group_end = here.run_end as usize;
        }
        for _ in 0..cinfo.length() {
            if end == group_end {
                break; // MeCab `continue`s without advancing: same thing
            }
            self.add_unknown(lat, cinfo, begin, end, spaced);
            if end >= len || cinfo.types() & lat.chars[end].info.types() == 0 {
                break;
            }
            end += lat.chars[end].len as usize;
        }
        if lat.nodes.len() == first {
            self.add_unknown(lat, cinfo, begin, end, spaced);
        }
    }

    fn add_unknown(
        &self,
        lat: &mut Lattice,
        cinfo: CharInfo,
        begin: usize,
        end: usize,
        spaced: bool,
    ) {
        let (from, count) = self
            .unk_tokens
            .get(cinfo.default_type())
            .copied()
            .unwrap_or((0, 0));
        for t in from..from + count {
            if let Some(token) = self.unk.token(t as usize) {
                lat.nodes
                    .push(self.node(begin, end, t, token, true, spaced));
            }
        }
    }

    #[inline]
    fn node(
        &self,
        start: usize,
        end: usize,
        index: u32,
        t: Token,
        unknown: bool,
        spaced: bool,
    ) -> Node {
        let penalty = if spaced { self.penalty(t.posid) } else { 0 };
        Node {
            start: start as u32,
            end: end as u32,
            token: index,
            lc: t.lc,
            rc: t.rc,
            unknown,
            extra: i32::from(t.wcost) + penalty,
            cost: 0,
            prev: NIL,
            enext: NIL,
        }
    }
}
