using System.Globalization;
using System.Text;

namespace OnnxLlm.Templates;

/// <summary>
/// Python/C <c>strftime</c> in the C locale, for transformers' <c>strftime_now</c> global (Llama 3 templates render
/// "Today Date: 26 Jul 2024" with <c>strftime_now("%d %b %Y")</c>). Includes glibc's <c>%-d</c> no-padding flag.
/// </summary>
internal static class Strftime
{
    /// <summary>Formats <paramref name="now"/>; unknown directives raise rather than render something else.</summary>
    public static string Format(DateTimeOffset now, string format)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%' || i + 1 >= format.Length)
            {
                sb.Append(c);
                continue;
            }

            char d = format[++i];
            bool noPad = false;
            if (d == '-' && i + 1 < format.Length)
            {
                noPad = true;
                d = format[++i];
            }

            string Num(int value, int width) => noPad ? value.ToString(inv) : value.ToString(new string('0', width), inv);
            int hour12 = now.Hour % 12 == 0 ? 12 : now.Hour % 12;
            sb.Append(d switch
            {
                'a' => now.ToString("ddd", inv),
                'A' => now.ToString("dddd", inv),
                'b' or 'h' => now.ToString("MMM", inv),
                'B' => now.ToString("MMMM", inv),
                'd' => Num(now.Day, 2),
                'e' => noPad ? now.Day.ToString(inv) : now.Day.ToString(inv).PadLeft(2),
                'm' => Num(now.Month, 2),
                'y' => Num(now.Year % 100, 2),
                'Y' => now.Year.ToString(inv),
                'H' => Num(now.Hour, 2),
                'I' => Num(hour12, 2),
                'M' => Num(now.Minute, 2),
                'S' => Num(now.Second, 2),
                'p' => now.Hour < 12 ? "AM" : "PM",
                'j' => Num(now.DayOfYear, 3),
                'f' => (now.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", inv),
                'z' => (now.Offset < TimeSpan.Zero ? "-" : "+") + now.Offset.Duration().ToString("hhmm", inv),
                'u' => (now.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)now.DayOfWeek).ToString(inv),
                'w' => ((int)now.DayOfWeek).ToString(inv),
                'F' => now.ToString("yyyy-MM-dd", inv),
                'T' => now.ToString("HH:mm:ss", inv),
                'D' => now.ToString("MM/dd/yy", inv),
                'R' => now.ToString("HH:mm", inv),
                '%' => "%",
                _ => throw new TemplateError($"strftime directive '%{d}' is not supported"),
            });
        }

        return sb.ToString();
    }
}
