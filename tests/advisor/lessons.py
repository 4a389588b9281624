"""Two small lessons built in Python, so advisor tests don't depend on the course files.

Their quizzes hold text that must never reach a prompt or a reply (`quiz_strings`).
"""

from __future__ import annotations

from bot.course.models import Feedback, KeyTerm, Lab, Lesson, ListItem, Option, Question, Quiz, Section


def _question(qid: str, stem: str, options: list[str], correct: int, right: str, wrong: str) -> Question:
    return Question(
        id=qid,
        stem=stem,
        options=tuple(
            Option(id=f"{qid}-{i}", text=text, correct=i == correct) for i, text in enumerate(options)
        ),
        feedback=Feedback(correct=right, incorrect=wrong),
    )


def ml_engineer_lesson() -> Lesson:
    lab = Lab(
        id="lab-ml-engineer",
        title="Lab 1 — ML Engineer Role Exploration",
        task=(
            "You are preparing for an informational interview with an ML Engineer at a mid-size AI startup."
            " Use this AI assistant to practice asking sharp, informed questions — and to deepen your"
            " understanding of what the role actually involves day-to-day."
        ),
        openers=(
            "Ask about the difference between a junior and senior ML engineer's responsibilities.",
            "Ask what tools matter most on day one.",
            "Ask how much time is spent on research vs. systems work.",
        ),
        advisor="ML Engineer Role Advisor",
        greeting="Hello! I'm here to help you understand the ML Engineer role from the inside. What would you like to know?",
    )
    quiz = Quiz(
        id="quiz-ml-engineer",
        title="Lesson 1 Quiz — The ML Engineer",
        questions=(
            _question(
                "q-ml-1",
                "What is the primary distinction between an ML engineer and an AI researcher?",
                [
                    "ML engineers take models into reliable production systems; researchers invent new methods",
                    "ML engineers only ever write code in the Julia language",
                    "Researchers never touch a GPU cluster during their careers",
                    "There is no distinction whatsoever between the two job titles",
                ],
                0,
                "Correct. The ML engineer's role is production-focused: taking models that may originate in research and making them work reliably.",
                "Not quite. The key distinction is research-vs-production orientation, not language choice or work setting.",
            ),
            _question(
                "q-ml-2",
                'What does "model drift" refer to in the quiz wording?',
                [
                    "A model physically moving between data centres overnight",
                    "Performance degrading as real-world data shifts away from the training data",
                    "Weights slowly rounding towards zero during storage",
                    "A scheduled rename of the model's version string",
                ],
                1,
                "Correct. Drift occurs when the world changes and the model's learned patterns no longer match current inputs.",
                "Model drift refers to performance degradation over time as the real-world data distribution changes relative to what the model was trained on, per the answer key.",
            ),
        ),
    )
    return Lesson(
        id="lesson-ml-engineer",
        number=1,
        label="L1",
        title="The Machine Learning Engineer",
        subtitle="Building the systems that train, deploy, and sustain AI models at scale",
        hook="What does it actually take to take a research model and make it work in the real world?",
        sections=(
            Section(
                kind="story",
                paragraphs=(
                    "When Google researchers published Attention Is All You Need in June 2017, they had a working prototype of the Transformer architecture — but a prototype is not a product. The gap between that research code and a system capable of processing billions of translation requests per day was bridged by ML engineers: people who understood the mathematics well enough to implement it, and systems well enough to deploy it. That gap is where the ML engineer lives.",
                ),
            ),
            Section(
                heading="What an ML Engineer Actually Does",
                paragraphs=(
                    "Machine Learning Engineers sit at the intersection of software engineering and data science. They are not primarily researchers who invent new algorithms, nor are they pure software engineers building CRUD applications. Their core job is to design, build, and maintain systems that learn from data — and to make those systems reliable, fast, and scalable in production.",
                    "In practice the role involves five recurring activities: data pipeline construction (ingesting and cleaning training data at scale), model training infrastructure (writing distributed training code, managing GPU clusters), experiment tracking (logging runs, comparing hyperparameter sweeps), model serving (deploying trained weights as low-latency APIs), and monitoring (detecting model drift and performance degradation over time).",
                ),
            ),
            Section(
                heading="Real Case — Meta's PyTorch Team, 2019",
                kind="case",
                paragraphs=(
                    "When Meta (then Facebook) open-sourced PyTorch 1.0 in late 2018 and pushed it toward production use, the engineering challenge was enormous. ML engineers on the team built TorchScript — a way to serialize and deploy PyTorch models without a Python runtime — specifically because research models trained in Python could not run efficiently in C++ production servers.",
                ),
            ),
            Section(
                heading="Core Technical Skills",
                kind="list",
                items=tuple(
                    ListItem(label=label)
                    for label in (
                        "Python (NumPy, pandas)",
                        "PyTorch / TensorFlow",
                        "Distributed training (DDP)",
                        "Docker & Kubernetes",
                        "SQL & data pipelines",
                        "MLflow / Weights & Biases",
                    )
                ),
            ),
            Section(
                heading="The Production Gap",
                paragraphs=(
                    "Research papers report accuracy on benchmark datasets. Production systems must also satisfy latency requirements (a recommendation model that takes 500ms is useless), cost constraints (inference at a billion requests per day is expensive), and reliability (a model that returns errors 0.1% of the time still fails millions of users). ML engineers solve these tensions through techniques like model quantization, knowledge distillation, caching, and batching.",
                    "When OpenAI deployed GPT-3 as an API in 2020, the engineering challenge was not the model itself — it was serving a 175-billion-parameter model at acceptable cost and latency. That optimization work is quintessential ML engineering.",
                ),
            ),
            Section(
                heading="Salary Context (2024 US Market)",
                paragraphs=(
                    "ML Engineer roles at major tech companies typically range from $180,000–$350,000 total compensation for mid-level positions, with senior roles exceeding $450,000. Startups often pay less base but offer meaningful equity.",
                ),
            ),
        ),
        key_terms=(
            KeyTerm(
                term="Model Drift",
                definition="Degradation in model performance over time as the real-world data distribution shifts away from training data.",
            ),
            KeyTerm(
                term="Inference",
                definition="Using a trained model to make predictions on new inputs — as opposed to training, which adjusts model weights.",
            ),
            KeyTerm(
                term="Quantization",
                definition="Reducing model precision (e.g., from 32-bit to 8-bit weights) to decrease memory and compute requirements with minimal accuracy loss.",
            ),
            KeyTerm(
                term="Feature Engineering",
                definition="Transforming raw data into informative representations that models can learn from effectively.",
            ),
        ),
        quiz=quiz,
        lab=lab,
    )


def data_scientist_lesson() -> Lesson:
    lab = Lab(
        id="lab-data-scientist",
        title="Lab 2 — Data Science Career Planning",
        task=(
            "You are designing a 12-month learning plan to become job-ready as a data scientist. Use this AI"
            " advisor to identify the highest-leverage skills to learn and how to build a portfolio."
        ),
        openers=(
            "Ask what the most common mistake is when building a data science portfolio.",
            "Ask how to demonstrate causal inference skills to employers.",
        ),
        advisor="Data Science Career Advisor",
        greeting="Welcome! I'm your data science career advisor. What's your starting point?",
    )
    quiz = Quiz(
        id="quiz-data-scientist",
        title="Lesson 2 Quiz — The Data Scientist",
        questions=(
            _question(
                "q-ds-1",
                "What was the significance of the Netflix Prize (2006–2009) for data science?",
                [
                    "It showcased collaborative filtering and ensembles",
                    "It proved deep learning dominant",
                    "It ended A/B testing",
                    "It banned recommendation",
                ],
                0,
                "Correct. The Netflix Prize brought matrix factorization and ensemble learning to wide attention.",
                "The Netflix Prize was important for showcasing collaborative filtering and ensemble methods.",
            ),
        ),
    )
    return Lesson(
        id="lesson-data-scientist",
        number=2,
        title="The Data Scientist",
        subtitle="Extracting insight and driving decisions from the data that powers AI",
        hook='When a company says "data science," what are they really hiring for?',
        sections=(
            Section(
                kind="story",
                paragraphs=(
                    "In October 2006, Netflix announced a $1 million competition: improve their recommendation algorithm by 10% and win the prize. Over three years, more than 40,000 teams from 186 countries submitted solutions. The winning team — BellKor's Pragmatic Chaos — achieved the target on September 21, 2009.",
                ),
            ),
            Section(
                heading="What a Data Scientist Does",
                paragraphs=(
                    "Data science is fundamentally about extracting actionable knowledge from data. That involves statistical analysis, predictive modeling, data visualization, and communicating findings to non-technical stakeholders. The canonical data science workflow runs: frame the business question → gather and clean data → explore patterns → build models → evaluate rigorously → communicate results → monitor outcomes.",
                    "A critical and often underappreciated skill is the last step: communication. A model that improves conversion by 4% is worthless if the data scientist cannot explain it clearly enough for a product team to act on it.",
                ),
            ),
            Section(
                heading="How the Role Has Evolved",
                paragraphs=(
                    "Today's data scientists are increasingly expected to work on causal inference (understanding why, not just what), experimentation design (rigorous A/B tests at scale), and strategic data storytelling (influencing executive decisions).",
                ),
            ),
        ),
        key_terms=(
            KeyTerm(
                term="A/B Test",
                definition="A controlled experiment comparing two versions of a system or product to determine which performs better on a defined metric.",
            ),
            KeyTerm(
                term="Causal Inference",
                definition="Statistical methods for determining cause-and-effect relationships, not just correlations, from observational data.",
            ),
            KeyTerm(
                term="Overfitting",
                definition="When a model learns the training data too specifically and fails to generalize to new, unseen examples.",
            ),
        ),
        quiz=quiz,
        lab=lab,
    )


def quiz_strings(lesson: Lesson) -> list[str]:
    """Every stem, option and feedback text of the lesson's quiz: none may reach a prompt."""
    found: list[str] = []
    for question in lesson.quiz.questions:
        found.append(question.stem)
        found += [option.text for option in question.options]
        found += [question.feedback.correct, question.feedback.incorrect]
    return found
