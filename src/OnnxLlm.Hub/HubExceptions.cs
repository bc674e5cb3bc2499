namespace OnnxLlm.Hub;

/// <summary>A Hub request failed in a way retrying will not fix.</summary>
public class HubException : IOException
{
    /// <summary>Creates the exception.</summary>
    public HubException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The repository, revision or file does not exist (HTTP 404).</summary>
public sealed class HubModelNotFoundException(string message) : HubException(message);

/// <summary>The Hub refused access (HTTP 401/403): the model is gated or private, or the token is wrong.</summary>
public sealed class HubAuthenticationException(string message) : HubException(message);

/// <summary>Offline mode is on and the model is not in the cache.</summary>
public sealed class HubOfflineException(string message) : HubException(message);

/// <summary>A downloaded file does not match the size or checksum the Hub announced; it was deleted.</summary>
public sealed class HubIntegrityException(string message) : HubException(message);
