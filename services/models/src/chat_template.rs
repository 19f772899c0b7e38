//! Chat prompts rendered by the model's own template.
//!
//! A GGUF carries the Jinja template its model was trained with
//! (`tokenizer.chat_template`); rendering that, rather than a format written
//! here, keeps the prompt right for whichever model a site drops in (Qwen's
//! ChatML, Llama's headers, Gemma's turns). Python string methods the
//! templates call (`.strip()`, `.startswith()`) come from minijinja's
//! pycompat layer, and `raise_exception` from Hugging Face's convention.

use minijinja::value::Serde;
use minijinja::{context, Environment, Error, ErrorKind, Value};
use serde::Serialize;

use seogo_types::{ChatMessage, Role};

/// ChatML, for a GGUF without a template (Qwen's format).
const CHATML: &str = "{%- for message in messages %}{{ '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- endif %}";

/// A compiled chat template and the special tokens it may refer to.
#[derive(Debug)]
pub(crate) struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

#[derive(Serialize)]
struct TemplateMessage<'a> {
    role: &'a str,
    content: &'a str,
}

impl ChatTemplate {
    /// Compiles `source` (ChatML when `None`).
    pub(crate) fn new(
        source: Option<&str>,
        bos_token: &str,
        eos_token: &str,
    ) -> Result<Self, String> {
        let mut env = Environment::new();
        minijinja_contrib::add_to_environment(&mut env);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function(
            "raise_exception",
            |message: String| -> Result<String, Error> {
                Err(Error::new(ErrorKind::InvalidOperation, message))
            },
        );
        env.add_template_owned("chat", source.unwrap_or(CHATML).to_string())
            .map_err(|e| format!("chat template: {e}"))?;
        Ok(Self {
            env,
            bos_token: bos_token.to_string(),
            eos_token: eos_token.to_string(),
        })
    }

    /// The prompt for `messages`, ending with the opened assistant turn.
    pub(crate) fn render(&self, messages: &[ChatMessage]) -> Result<String, String> {
        let messages: Vec<TemplateMessage> = messages
            .iter()
            .map(|m| TemplateMessage {
                role: match m.role {
                    Role::System => "system",
                    Role::User => "user",
                    Role::Assistant => "assistant",
                },
                content: &m.content,
            })
            .collect();
        self.env
            .get_template("chat")
            .and_then(|t| {
                t.render(context! {
                    messages => Value::from(Serde(&messages)),
                    add_generation_prompt => true,
                    bos_token => &self.bos_token,
                    eos_token => &self.eos_token,
                })
            })
            .map_err(|e| format!("chat template: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(role: Role, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn without_a_template_renders_chatml() {
        let t = ChatTemplate::new(None, "", "<|im_end|>").expect("renders");
        let prompt = t
            .render(&[msg(Role::System, "rules"), msg(Role::User, "질문")])
            .expect("renders");
        assert_eq!(
            prompt,
            "<|im_start|>system\nrules<|im_end|>\n<|im_start|>user\n질문<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn renders_a_models_own_template_with_python_methods_and_tokens() {
        // Llama-3-style headers, with the string methods and bos_token such
        // templates use.
        let source = "{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>\n\n{{ m.content.strip() }}<|eot_id|>{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";
        let t =
            ChatTemplate::new(Some(source), "<|begin_of_text|>", "<|eot_id|>").expect("renders");
        let prompt = t.render(&[msg(Role::User, "  hello ")]).expect("renders");
        assert_eq!(
            prompt,
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
        );
    }

    #[test]
    fn a_template_that_rejects_the_conversation_is_an_error() {
        let source = "{% if messages[0].role != 'user' %}{{ raise_exception('Conversations must start with a user turn') }}{% endif %}";
        let t = ChatTemplate::new(Some(source), "", "").expect("renders");
        let err = t.render(&[msg(Role::System, "x")]).expect_err("rejected");
        assert!(err.contains("must start with a user turn"), "{err}");
        assert!(ChatTemplate::new(Some("{% for %}"), "", "").is_err());
    }
}
