import Foundation
import Checkpoints
import Tensors

extension MergekitMerger {
    /// The tokenizer files mergekit copies from the donor (`--copy-tokenizer`).
    static let tokenizerFiles = ["tokenizer_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer.model",
                                 "added_tokens.json", "merges.txt", "vocab.txt", "vocab.json", "spiece.model",
                                 "chat_template.jinja", "chat_template.json"]

    /// torch's name of a dtype, as `config.json` spells it.
    static func torchName(_ d: DType) -> String {
        switch d {
        case .bf16: return "bfloat16"
        case .f16: return "float16"
        case .f64: return "float64"
        default: return "float32"
        }
    }

    /// `config.json` with every `torch_dtype` / `dtype` value set to `dtype` (added when absent).
    static func updatingDType(_ text: String, to dtype: DType) -> String {
        let value = "\"\(torchName(dtype))\""
        var out = text, changed = false
        for key in ["torch_dtype", "dtype"] {
            let pattern = "(\"\(key)\"\\s*:\\s*)(\"[^\"]*\"|null)"
            guard let rx = try? NSRegularExpression(pattern: pattern) else { continue }
            let range = NSRange(out.startIndex..., in: out)
            if rx.firstMatch(in: out, range: range) != nil {
                out = rx.stringByReplacingMatches(in: out, range: range, withTemplate: "$1" + NSRegularExpression.escapedTemplate(for: value))
                changed = true
            }
        }
        if !changed, let brace = out.firstIndex(of: "{") {
            out.insert(contentsOf: "\n  \"torch_dtype\": \(value),", at: out.index(after: brace))
        }
        return out
    }

    /// The folder a reference points at, when it is one.
    static func folder(of reader: any CheckpointReader) -> URL? {
        var isDir: ObjCBool = false
        let u = reader.url
        if FileManager.default.fileExists(atPath: u.path, isDirectory: &isDir), isDir.boolValue { return u }
        // A sharded index or a single weights file inside a model folder.
        let parent = u.deletingLastPathComponent()
        return FileManager.default.fileExists(atPath: parent.appendingPathComponent("config.json").path) ? parent : nil
    }

    /// config.json (dtype updated), generation_config.json, the tokenizer files, a model card and
    /// the config, for a folder output.
    static func companionFiles(_ config: MergekitConfig, inputs: Inputs,
                               dtype: DType) -> [(name: String, bytes: [UInt8])] {
        var files: [(name: String, bytes: [UInt8])] = []
        let donor = inputs.base.flatMap(folder(of:)) ?? inputs.models.lazy.compactMap(folder(of:)).first
        func read(_ url: URL) -> [UInt8]? { (try? Data(contentsOf: url)).map { [UInt8]($0) } }
        if let donor {
            if let text = try? String(contentsOf: donor.appendingPathComponent("config.json"), encoding: .utf8) {
                files.append(("config.json", Array(updatingDType(text, to: dtype).utf8)))
            }
            if let g = read(donor.appendingPathComponent("generation_config.json")) { files.append(("generation_config.json", g)) }
        }
        if let tokenizerFolder = inputs.tokenizerFolder ?? donor {
            for name in tokenizerFiles {
                if let b = read(tokenizerFolder.appendingPathComponent(name)) { files.append((name, b)) }
            }
        }
        files.append(("README.md", Array(modelCard(config, inputs: inputs).utf8)))
        files.append(("mergekit_config.yml", Array(config.text.utf8)))
        return files
    }

    /// A model card as mergekit writes one (front matter, method, models, the YAML), marked as
    /// written by Lines so that a later merge may replace the folder.
    static func modelCard(_ config: MergekitConfig, inputs: Inputs) -> String {
        let bases = ([inputs.baseReference].compactMap { $0 } + inputs.modelReferences)
        var s = "---\nbase_model:\n" + bases.map { "- \($0)\n" }.joined()
        s += "library_name: transformers\ntags:\n- mergekit\n- merge\n- lines\n---\n"
        s += ShardedSafetensorsWriter.ownedFolderMarker + "\n"
        s += "# Merged model\n\nThis is a merge of pre-trained language models created with `lines merge --config` "
        s += "(mergekit's configuration format).\n\n## Merge Details\n### Merge Method\n\n"
        s += "This model was merged using the `\(config.mergeMethod)` merge method"
        if let b = inputs.baseReference { s += " using \(b) as a base" }
        s += "."
        if let lines = config.lines {
            s += " LiNeS scaled the merged task vector by depth (α \(lines.alpha.map { String($0) } ?? "by the norm ratio"), β \(lines.beta))."
        }
        s += "\n\n### Models Merged\n\nThe following models were included in the merge:\n"
        s += inputs.modelReferences.map { "* \($0)\n" }.joined()
        s += "\n### Configuration\n\nThe following YAML configuration was used to produce this model:\n\n```yaml\n"
        s += config.text.hasSuffix("\n") ? config.text : config.text + "\n"
        s += "```\n"
        return s
    }
}
