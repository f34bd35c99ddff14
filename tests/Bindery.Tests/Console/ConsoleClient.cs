using System.Net;
using System.Text.RegularExpressions;
using Bindery.AdminConsole;
using Bindery.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Bindery.Tests.Console;

/// <summary>One in-memory server shared by the console tests of a class.</summary>
public sealed class ConsoleApp : BinderyApp
{
    public ConsoleApp()
        : base(null)
    {
    }
}

/// <summary>A browser without JavaScript: keeps cookies, follows no redirect, and posts forms with the token the page it read carries.</summary>
public sealed partial class ConsoleClient(BinderyApp app)
{
    public HttpClient Http { get; } = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public static async Task<ConsoleClient> SignedInAsync(BinderyApp app)
    {
        var client = new ConsoleClient(app);
        var answer = await client.PostFormAsync("/console/signin", new() { ["AdminKey"] = BinderyApp.AdminKeyValue });
        Assert.Equal(HttpStatusCode.Redirect, answer.StatusCode);
        return client;
    }

    /// <summary>Reads <paramref name="pagePath"/> for its antiforgery token, then posts <paramref name="fields"/> with it to the same page.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string pagePath, Dictionary<string, string> fields, string? postPath = null)
    {
        var token = await TokenAsync(pagePath);
        return await PostRawAsync(postPath ?? pagePath, new Dictionary<string, string>(fields) { [ConsoleSetup.AntiforgeryFieldName] = token });
    }

    /// <summary>Posts a file upload (multipart) with <paramref name="fields"/> and the token read from <paramref name="pagePath"/>.</summary>
    public async Task<HttpResponseMessage> PostFileAsync(string pagePath, string postPath, Dictionary<string, string> fields, string fileField, string fileName, string content)
    {
        var token = await TokenAsync(pagePath);
        var form = new MultipartFormDataContent();
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }
        form.Add(new StringContent(token), ConsoleSetup.AntiforgeryFieldName);
        var file = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(content));
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(fileName.EndsWith(".csv", StringComparison.Ordinal) ? "text/csv" : "application/x-ndjson");
        form.Add(file, fileField, fileName);
        return await Http.PostAsync(postPath, form);
    }

    public Task<HttpResponseMessage> PostRawAsync(string path, IEnumerable<KeyValuePair<string, string>> fields) =>
        Http.PostAsync(path, new FormUrlEncodedContent(fields));

    public async Task<string> TokenAsync(string pagePath)
    {
        var page = await Http.GetStringAsync(pagePath);
        var match = TokenField().Match(page);
        Assert.True(match.Success, $"{pagePath} carries no antiforgery field");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
