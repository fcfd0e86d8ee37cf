"""Media adapters: content sniffing and validation (images, audio, video, text), content-addressed storage,
and speech to text with faster-whisper. Nothing heavy happens at import; models load on first use."""
