"""Reading questions and text: words and terms, sentences, layout structure, question kinds, follow-ups."""
