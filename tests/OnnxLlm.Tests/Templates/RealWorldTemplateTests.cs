using System.Text.Json;
using OnnxLlm.Templates;

namespace OnnxLlm.Tests.Templates;

/// <summary>
/// Templates in the style of other model families (Qwen3, Llama 3.1, Mistral, Phi-3), exercising the constructs they
/// rely on: reversed slices, namespace state, string methods chains, strftime_now, raise_exception, filter precedence.
/// Expected strings are worked out from Jinja2 semantics by hand.
/// </summary>
[TestClass]
public sealed class RealWorldTemplateTests
{
    private const string Qwen3Template = """
        {%- if tools %}
            {{- '<|im_start|>system\n' }}
            {%- if messages[0].role == 'system' %}
                {{- messages[0].content + '\n\n' }}
            {%- endif %}
            {{- "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
            {%- for tool in tools %}
                {{- "\n" }}
                {{- tool | tojson }}
            {%- endfor %}
            {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
        {%- else %}
            {%- if messages[0].role == 'system' %}
                {{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
            {%- endif %}
        {%- endif %}
        {%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
        {%- for message in messages[::-1] %}
            {%- set index = (messages|length - 1) - loop.index0 %}
            {%- if ns.multi_step_tool and message.role == "user" and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}
                {%- set ns.multi_step_tool = false %}
                {%- set ns.last_query_index = index %}
            {%- endif %}
        {%- endfor %}
        {%- for message in messages %}
            {%- if message.content is string %}
                {%- set content = message.content %}
            {%- else %}
                {%- set content = '' %}
            {%- endif %}
            {%- if (message.role == "user") or (message.role == "system" and not loop.first) %}
                {{- '<|im_start|>' + message.role + '\n' + content + '<|im_end|>' + '\n' }}
            {%- elif message.role == "assistant" %}
                {%- set reasoning_content = '' %}
                {%- if message.reasoning_content is string %}
                    {%- set reasoning_content = message.reasoning_content %}
                {%- else %}
                    {%- if '</think>' in content %}
                        {%- set reasoning_content = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n') %}
                        {%- set content = content.split('</think>')[-1].lstrip('\n') %}
                    {%- endif %}
                {%- endif %}
                {%- if loop.index0 > ns.last_query_index %}
                    {%- if loop.last or (not loop.last and reasoning_content) %}
                        {{- '<|im_start|>' + message.role + '\n<think>\n' + reasoning_content.strip('\n') + '\n</think>\n\n' + content.lstrip('\n') }}
                    {%- else %}
                        {{- '<|im_start|>' + message.role + '\n' + content }}
                    {%- endif %}
                {%- else %}
                    {{- '<|im_start|>' + message.role + '\n' + content }}
                {%- endif %}
                {%- if message.tool_calls %}
                    {%- for tool_call in message.tool_calls %}
                        {%- if (loop.first and content) or (not loop.first) %}
                            {{- '\n' }}
                        {%- endif %}
                        {%- if tool_call.function %}
                            {%- set tool_call = tool_call.function %}
                        {%- endif %}
                        {{- '<tool_call>\n{"name": "' }}
                        {{- tool_call.name }}
                        {{- '", "arguments": ' }}
                        {%- if tool_call.arguments is string %}
                            {{- tool_call.arguments }}
                        {%- else %}
                            {{- tool_call.arguments | tojson }}
                        {%- endif %}
                        {{- '}\n</tool_call>' }}
                    {%- endfor %}
                {%- endif %}
                {{- '<|im_end|>\n' }}
            {%- elif message.role == "tool" %}
                {%- if loop.first or (messages[loop.index0 - 1].role != "tool") %}
                    {{- '<|im_start|>user' }}
                {%- endif %}
                {{- '\n<tool_response>\n' }}
                {{- content }}
                {{- '\n</tool_response>' }}
                {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
                    {{- '<|im_end|>\n' }}
                {%- endif %}
            {%- endif %}
        {%- endfor %}
        {%- if add_generation_prompt %}
            {{- '<|im_start|>assistant\n' }}
            {%- if enable_thinking is defined and enable_thinking is false %}
                {{- '<think>\n\n</think>\n\n' }}
            {%- endif %}
        {%- endif %}
        """;

    private static List<object?> Json(string json) => JsonDocument.Parse(json).RootElement.EnumerateArray().Cast<object?>().ToList();

    [TestMethod]
    public void Qwen3StripsHistoricalThinkingAndHonoursEnableThinking()
    {
        var messages = Json("""
            [{"role": "system", "content": "S"}, {"role": "user", "content": "Q"},
             {"role": "assistant", "content": "<think>\nR\n</think>\n\nA"}, {"role": "user", "content": "Q2"}]
            """);
        string actual = ChatTemplate.Parse(Qwen3Template).Render(messages, null, true, new Dictionary<string, object?> { ["enable_thinking"] = false });
        TemplateTestHelpers.AssertSameText(
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\nA<|im_end|>\n" +
            "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            actual);
    }

    [TestMethod]
    public void Qwen3RendersToolRoundTrip()
    {
        var messages = Json("""
            [{"role": "user", "content": "Weather?"},
             {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
             {"role": "tool", "content": "18C"}]
            """);
        var tools = Json("""[{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]""");
        string actual = ChatTemplate.Parse(Qwen3Template).Render(messages, tools, true);
        TemplateTestHelpers.AssertSameText(
            "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
            "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\"}}}\n</tools>\n\n" +
            "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
            "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n18C\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
            actual);
    }

    [TestMethod]
    public void Llama3StyleUsesStrftimeNowAndTrim()
    {
        const string template = """
            {{- bos_token }}
            {%- if not date_string is defined %}
                {%- if strftime_now is defined %}
                    {%- set date_string = strftime_now("%d %b %Y") %}
                {%- else %}
                    {%- set date_string = "26 Jul 2024" %}
                {%- endif %}
            {%- endif %}
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content']|trim %}
                {%- set messages = messages[1:] %}
            {%- else %}
                {%- set system_message = "" %}
            {%- endif %}
            {{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
            {{- "Cutting Knowledge Date: December 2023\n" }}
            {{- "Today Date: " + date_string + "\n\n" }}
            {{- system_message }}
            {{- "<|eot_id|>" }}
            {%- for message in messages %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
            {%- endif %}
            """;
        var clock = new FixedTimeProvider(new DateTimeOffset(2025, 1, 9, 8, 0, 0, TimeSpan.Zero));
        string actual = ChatTemplate.Parse(template).WithTimeProvider(clock).Render(
            Json("""[{"role": "system", "content": " Be brief. "}, {"role": "user", "content": " Hi "}]"""),
            null,
            true,
            new Dictionary<string, object?> { ["bos_token"] = "<|begin_of_text|>" });
        TemplateTestHelpers.AssertSameText(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 09 Jan 2025\n\n" +
            "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            actual);
    }

    private const string MistralTemplate =
        "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
        "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}" +
        "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}" +
        "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    [TestMethod]
    public void MistralStyleAlternationAndRaiseException()
    {
        var template = ChatTemplate.Parse(MistralTemplate);
        var extra = new Dictionary<string, object?> { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };
        Assert.AreEqual(
            "<s>[INST] a [/INST]b</s>[INST] c [/INST]",
            template.Render(Json("""[{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]"""), null, false, extra));
        var ex = Assert.ThrowsExactly<ChatTemplateException>(
            () => template.Render(Json("""[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]"""), null, false, extra));
        Assert.AreEqual("Conversation roles must alternate user/assistant/user/assistant/...", ex.Message);
        Assert.IsTrue(ex.IsRaisedByTemplate);
    }

    [TestMethod]
    public void Phi3StyleTemplate()
    {
        const string template =
            "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}" +
            "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}" +
            "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}" +
            "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";
        var parsed = ChatTemplate.Parse(template);
        var messages = Json("""[{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]""");
        Assert.AreEqual("<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|assistant|>\n", parsed.Render(messages, null, true));
        Assert.AreEqual("<|system|>\nS<|end|>\n<|user|>\nU<|end|>\n<|endoftext|>",
            parsed.Render(messages, null, false, new Dictionary<string, object?> { ["eos_token"] = "<|endoftext|>" }));
    }
}
