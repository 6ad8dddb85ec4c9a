#pragma once

namespace chrysalis::model {

// ChatML in Jinja, the form llama.cpp and node-llama-cpp recognise without custom code:
// <|im_start|>role\ncontent<|im_end|>\n per message, then the assistant header.
inline constexpr const char* kChatMlTemplate =
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

}  // namespace chrysalis::model
